/**
 * A model reply's bytes at most (param.llmReplyMaxBytes), whatever the transport: a whole reply
 * read on the kernel's thread (http-whole.ts) or on the HTTP client's (http-thread-source.ts, which
 * cannot import this and makes the same error), a stream (http-post.ts), the Gemini SDK's fetch
 * (gemini-fetch.ts), an OpenAI-compatible embeddings server's answer (drivers/memory). Past it the request is cut: the error carries REPLY_TOO_LARGE as its code,
 * which transport-error.ts reads as a reply that is not one (malformed, not retried).
 */
import { param } from '../../sys/param.js';

export const REPLY_TOO_LARGE = 'AOS_REPLY_TOO_LARGE';

/** The error a transport fails with once a reply passed `max` bytes. */
export function replyTooLarge(max: number = param.llmReplyMaxBytes): Error {
  return Object.assign(new Error(`the reply passed ${max} bytes (param.llmReplyMaxBytes); cut off`), {
    code: REPLY_TOO_LARGE,
  });
}

/** Whether `error` (or one of its causes) is a reply cut off past the bound. */
export function isReplyTooLarge(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ((current as { code?: unknown }).code === REPLY_TOO_LARGE) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Counts a reply's bytes as they come; `add` is false once they passed the bound. */
export class ReplyBytes {
  private seen = 0;
  constructor(readonly max: number = param.llmReplyMaxBytes) {}

  add(bytes: number): boolean {
    this.seen += bytes;
    return this.seen <= this.max;
  }
}

/** A byte stream that errors (replyTooLarge) once more than `max` bytes went through it. */
export function cappedStream(max: number = param.llmReplyMaxBytes): TransformStream<Uint8Array, Uint8Array> {
  const count = new ReplyBytes(max);
  return new TransformStream({
    transform(chunk, controller) {
      if (!count.add(chunk.byteLength)) controller.error(replyTooLarge(max));
      else controller.enqueue(chunk);
    },
  });
}

/** Statuses whose Response has no body (the Response constructor refuses one). */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

/** The same answer, its body cut (failing with replyTooLarge) past `max` bytes as it is read. */
export function cappedResponse(response: Response, max: number = param.llmReplyMaxBytes): Response {
  if (response.body === null || NO_BODY.has(response.status)) return response;
  const capped = new Response(response.body.pipeThrough(cappedStream(max)), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // What a reader may ask of the original besides its body.
  Object.defineProperty(capped, 'url', { value: response.url });
  return capped;
}
