/**
 * An OpenAI-compatible chat completion read as it streams (`stream: true`): server-sent events of
 * `chat.completion.chunk`s, each with a piece of the text in `choices[0].delta.content`, the
 * finish reason on the last choice, usage on a final chunk with no choices (`stream_options:
 * {include_usage: true}`), then `data: [DONE]`. The reply it resolves with is the same ModelReply
 * a whole body gives; each piece of text goes to `onText` as it arrives.
 *
 * The events are parsed by eventsource-parser (the SSE framing: fields, multi-line data,
 * comments, CRLF); what a chunk means is read here, leniently, as compatible servers differ.
 */
import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import type { HttpStream } from './http-post.js';
import { blockedError, excerpt, malformedError, ProviderError, redact } from './provider-error.js';
import { errorMessageFromBody, parseRateLimitHeaders } from './provider-headers.js';
import type { ModelReply, ModelUsage } from './types.js';

const count = z.number().int().nonnegative();
/** The usage an OpenAI-compatible server reports, in a whole reply and in a stream's last chunk. */
export const wireUsageSchema = z
  .object({
    prompt_tokens: count.nullish(),
    completion_tokens: count.nullish(),
    prompt_tokens_details: z.object({ cached_tokens: count.nullish() }).nullish(),
  })
  .nullish();
const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish(), refusal: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: wireUsageSchema,
});
export type WireUsage = z.infer<typeof wireUsageSchema>;

/** Read the stream to its end (or `[DONE]`); `toUsage` turns the wire's usage into the reply's. */
export async function readChatStream(
  id: string,
  stream: HttpStream,
  onText: (delta: string) => void,
  toUsage: (usage: WireUsage) => ModelUsage | undefined,
  secret: string | undefined,
): Promise<ModelReply> {
  let text = '';
  let refusal = '';
  let finishReason: string | undefined;
  let usage: ModelUsage | undefined;
  let done = false;
  let failure: Error | undefined;
  const parser = createParser({
    onEvent(event) {
      if (done || failure !== undefined) return;
      if (event.data.trim() === '[DONE]') {
        done = true;
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch {
        failure = malformedError(id, `a streamed chunk is not JSON: ${event.data}`, secret, stream.status);
        return;
      }
      const parsed = chunkSchema.safeParse(json);
      const said = errorMessageFromBody(json);
      if (said !== undefined && (!parsed.success || parsed.data.choices == null)) {
        failure = new ProviderError(
          'server',
          `${id}: the provider reported an error mid-reply: ${excerpt(redact(said, secret))}`,
          {
            model: id,
            status: stream.status,
          },
        );
        return;
      }
      if (!parsed.success) {
        failure = malformedError(id, `unexpected chunk shape: ${event.data}`, secret, stream.status);
        return;
      }
      const choice = parsed.data.choices?.[0];
      const piece = choice?.delta?.content ?? '';
      if (piece !== '') {
        text += piece;
        onText(piece);
      }
      refusal += choice?.delta?.refusal ?? '';
      finishReason = choice?.finish_reason ?? finishReason;
      usage = toUsage(parsed.data.usage) ?? usage;
    },
  });
  for await (const chunk of stream.chunks) {
    parser.feed(chunk);
    if (done || failure !== undefined) break;
  }
  if (failure !== undefined) throw failure;
  if (!done && finishReason === undefined) {
    throw malformedError(
      id,
      `the stream ended before the reply did, after ${text.length} characters`,
      secret,
      stream.status,
    );
  }
  if (text === '' && (finishReason === 'content_filter' || refusal !== '')) {
    throw blockedError(
      id,
      'reply',
      finishReason === 'content_filter' ? 'content_filter' : 'refusal',
      refusal === '' ? undefined : refusal,
    );
  }
  const reply: ModelReply = { text };
  if (usage !== undefined) reply.usage = usage;
  if (finishReason !== undefined) reply.finishReason = finishReason;
  const rateLimit = parseRateLimitHeaders(stream.headers);
  if (rateLimit !== undefined) reply.rateLimit = rateLimit;
  return reply;
}
