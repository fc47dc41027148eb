/**
 * The OpenAI-compatible model driver: OpenAI itself, Ollama, vLLM, llama.cpp server, LM Studio.
 * One `POST {baseUrl}/chat/completions` per call (http-post.ts: undici's request API, not fetch),
 * streamed when the caller takes the text as it comes (`onText`, openai-stream.ts) and read whole
 * otherwise; no retries here, failures are ProviderErrors for the model pool to judge. A server
 * that refuses to stream (HTTP 400 naming `stream`) is asked again whole, and not asked to stream
 * again by this driver; one that ignores the request and answers whole is read whole.
 *
 * The base URL is the provider table's (endpoint.ts): OPENAI_BASE_URL, else api.openai.com when
 * OPENAI_API_KEY is set (a key suggests OpenAI proper), else a local Ollama, which needs no key.
 */
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { deadlinesOf, type ModelDeadlines } from '../../sys/model-limits.js';
import { withDeadline } from './deadline.js';
import { shownEndpoint } from './deadline-errors.js';
import { encodeBody, type WireMessage } from './openai-body.js';
import { amendCap, capFields, initialCap, type OutputCap } from './openai-max-tokens.js';
import { replyBound } from './reply-bound.js';
import { type HttpReply, isStream, postForStream, postJson, probe, startHttpThread } from './http-post.js';
import { readChatStream, type WireUsage, wireUsageSchema } from './openai-stream.js';
import { blockedError, excerpt, fromHttpFailure, malformedError, ProviderError, redact } from './provider-error.js';
import { errorMessageFromBody, parseRateLimitHeaders } from './provider-headers.js';
import type { OpenContext } from './provider.js';
import type { ModelDriver, ModelReply, ModelRequest, ModelUsage } from './types.js';

export interface OpenAIDriverOptions {
  /** Passed through verbatim, e.g. `llama3.1:8b`, `gpt-4o-mini`. */
  model: string;
  /** e.g. `http://127.0.0.1:11434/v1`; requests go to `{baseUrl}/chat/completions`. */
  baseUrl: string;
  apiKey?: string;
  /** How long a call may take (AOS_LIMITS, sys/model-limits.ts); param's defaults when absent. */
  deadlines?: ModelDeadlines;
  /** Defaults to process.env (read once, at creation). */
  env?: NodeJS.ProcessEnv;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

const replySchema = z.object({
  choices: z
    .array(
      z.object({
        message: z
          .object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: wireUsageSchema,
});
type WireReply = z.infer<typeof replySchema>;

/** The provider table's entry point (provider.ts). */
export async function open(model: string, context: OpenContext): Promise<ModelDriver> {
  if (context.baseUrl === null) throw new AosError('EINVAL', 'openai: no base URL (set OPENAI_BASE_URL)');
  const driver = createOpenAIDriver({
    model,
    baseUrl: context.baseUrl,
    deadlines: context.deadlines,
    env: context.env,
  });
  await startHttpThread();
  return driver;
}

export function createOpenAIDriver(options: OpenAIDriverOptions): ModelDriver {
  const env = options.env ?? process.env;
  if (options.model.trim() === '')
    throw new AosError('EINVAL', 'openai: a model name is required (e.g. openai:llama3.1:8b)');
  const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env.OPENAI_API_KEY);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const id = `openai:${options.model}`;
  const endpoint = `${baseUrl}/chat/completions`;
  const shown = shownEndpoint(baseUrl);
  const deadlines = options.deadlines ?? deadlinesOf({}, id);
  void startHttpThread();

  let streamRefused = false;
  // The reply's bound always goes with the request; the field (and the server's own maximum) as the server takes them.
  let cap = initialCap(baseUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
  const failed = (response: HttpReply): ProviderError =>
    response.status < 400
      ? redirected(id, response)
      : fromHttpFailure({
          model: id,
          status: response.status,
          headers: response.headers,
          bodyText: response.bodyText,
          secret: apiKey,
        });

  /** A 400 that blames the bound's field or size: the amended cap is kept, and the request asked again (twice at most). */
  const amended = (response: HttpReply, tries: number): boolean => {
    const next = tries < 2 ? amendCap(cap, response.status, response.bodyText) : null;
    if (next) cap = next;
    return next !== null;
  };

  const whole = async (request: ModelRequest, signal: AbortSignal, tries = 0): Promise<ModelReply> => {
    const response = await postJson(endpoint, headers, wireBody(options.model, request, false, cap), signal);
    if (response.status >= 300 && amended(response, tries)) return whole(request, signal, tries + 1);
    if (response.status >= 300) throw failed(response);
    return fromWire(id, response, apiKey);
  };

  const streamed = async (
    request: ModelRequest,
    onText: (delta: string) => void,
    signal: AbortSignal,
    tries = 0,
  ): Promise<ModelReply> => {
    const body = wireBody(options.model, request, true, cap);
    const response = await postForStream(endpoint, { ...headers, accept: 'text/event-stream' }, body, signal);
    if (isStream(response)) return readChatStream(id, response, onText, toUsage, apiKey);
    if (amended(response, tries)) return streamed(request, onText, signal, tries + 1);
    if (response.status === 400 && /stream/i.test(response.bodyText)) {
      streamRefused = true;
      return whole(request, signal);
    }
    if (response.status >= 300) throw failed(response);
    return fromWire(id, response, apiKey);
  };

  const complete = (request: ModelRequest): Promise<ModelReply> =>
    withDeadline(
      {
        model: id,
        endpoint: shown,
        deadlines,
        probe: (signal) => probe(`${baseUrl}/models`, headers, signal),
        signal: request.signal,
        secret: apiKey,
      },
      (signal) => {
        const { onText } = request;
        return onText === undefined || streamRefused ? whole(request, signal) : streamed(request, onText, signal);
      },
    );

  return { id, complete };
}

export function toWire(
  model: string,
  request: ModelRequest,
  stream = false,
  cap: OutputCap = initialCap(''),
): Record<string, unknown> {
  const { messages, rest } = wireParts(request, stream, cap);
  const system: WireMessage[] = request.system === '' ? [] : [{ role: 'system', content: request.system }];
  return { model, messages: [...system, ...messages], ...rest };
}

/** The request's bytes: toWire's JSON, the system prompt's part encoded once a prompt (openai-body.ts). */
function wireBody(model: string, request: ModelRequest, stream: boolean, cap: OutputCap): Buffer {
  const { messages, rest } = wireParts(request, stream, cap);
  return encodeBody(model, request, messages, rest);
}

/** The messages after the system prompt's, and the fields after the messages. */
function wireParts(
  request: ModelRequest,
  stream: boolean,
  cap: OutputCap,
): { messages: WireMessage[]; rest: Record<string, unknown> } {
  const messages: WireMessage[] = [];
  for (const message of request.messages) {
    messages.push({ role: message.role === 'model' ? 'assistant' : 'user', content: message.text });
  }
  const bound = capFields(cap, replyBound(request));
  const rest = stream ? { stream, stream_options: { include_usage: true }, ...bound } : { stream, ...bound };
  return { messages, rest };
}

/** A base URL that redirects: say where to, so that it can be set to that address. */
function redirected(id: string, response: HttpReply): ProviderError {
  const location = response.headers.location;
  const where = (Array.isArray(location) ? location[0] : location) ?? '(no Location header)';
  return new ProviderError(
    'bad_request',
    `${id}: the provider answered HTTP ${response.status}, a redirect to ${where}: set OPENAI_BASE_URL to the address that serves /chat/completions`,
    {
      model: id,
      status: response.status,
    },
  );
}

function fromWire(id: string, response: HttpReply, secret: string | undefined): ModelReply {
  const { bodyText } = response;
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    throw malformedError(id, `not JSON: ${bodyText}`, secret, response.status);
  }
  const parsed = replySchema.safeParse(json);
  if (!parsed.success) {
    // Some compatible servers answer 200 with {error: {...}}.
    const said = errorMessageFromBody(json);
    if (said !== undefined) {
      throw new ProviderError('server', `${id}: the provider reported an error: ${excerpt(redact(said, secret))}`, {
        model: id,
        status: response.status,
      });
    }
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : ` (${issue.path.join('.') || 'body'}: ${issue.message})`;
    throw malformedError(id, `unexpected reply shape${where}: ${bodyText}`, secret, response.status);
  }
  const choice = parsed.data.choices[0];
  const finishReason = choice?.finish_reason ?? undefined;
  const text = choice?.message?.content ?? '';
  const refusal = choice?.message?.refusal ?? undefined;
  if (text === '' && (finishReason === 'content_filter' || refusal !== undefined)) {
    throw blockedError(id, 'reply', finishReason === 'content_filter' ? 'content_filter' : 'refusal', refusal);
  }
  const reply: ModelReply = { text };
  const usage = toUsage(parsed.data.usage);
  if (usage !== undefined) reply.usage = usage;
  if (finishReason !== undefined) reply.finishReason = finishReason;
  const rateLimit = parseRateLimitHeaders(response.headers);
  if (rateLimit !== undefined) reply.rateLimit = rateLimit;
  return reply;
}

function toUsage(usage: WireReply['usage'] | WireUsage): ModelUsage | undefined {
  if (usage === undefined || usage === null) return undefined;
  const prompt = usage.prompt_tokens ?? undefined;
  const output = usage.completion_tokens ?? undefined;
  if (prompt === undefined && output === undefined) return undefined;
  const result: ModelUsage = { prompt: prompt ?? 0, output: output ?? 0 };
  const cached = usage.prompt_tokens_details?.cached_tokens ?? undefined;
  if (cached !== undefined) result.cached = cached;
  return result;
}
