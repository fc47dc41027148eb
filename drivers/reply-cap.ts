/**
 * A reply's bytes at most, whatever the transport: a model's (param.llmReplyMaxBytes) read whole on
 * the kernel's thread (llm/http-whole.ts) or on the HTTP client's (llm/http-thread-source.ts, which
 * cannot import this and makes the same error), streamed (llm/http-post.ts) or through the Gemini
 * SDK's fetch (llm/gemini-fetch.ts); an embeddings server's (memory/provider-embedders.ts); a
 * remote MCP server's (param.mcpMaxMessageBytes, each event of a stream: mcp/open-transport.ts); a
 * Chroma server's (param.memoryReplyMaxBytes, below fetch: capped-dispatcher.ts).
 * Past it the answer is cut: the error carries REPLY_TOO_LARGE as its code, which
 * llm/transport-error.ts reads as a reply that is not one (malformed, not retried).
 */
import { param } from '../sys/param.js';

export const REPLY_TOO_LARGE = 'AOS_REPLY_TOO_LARGE';

/** Where a bound is set, as an error names it. */
const LLM_SETTING = 'param.llmReplyMaxBytes';

/** A byte count as a bound is usually set: whole MiB, else bytes. */
export const boundSize = (bytes: number): string => (bytes % (1 << 20) === 0 ? `${bytes >> 20} MiB` : `${bytes} bytes`);

/** The error a transport fails with once a reply passed `max` bytes (`setting`: where that bound is set). */
export function replyTooLarge(max: number = param.llmReplyMaxBytes, setting = LLM_SETTING): Error {
  return Object.assign(new Error(`the reply passed ${max} bytes (${setting}); cut off`), {
    code: REPLY_TOO_LARGE,
  });
}

/** The reply cut off past the bound (or refused unbounded) that `error` is or was caused by, or null. */
export function replyCut(error: unknown): Error | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ((current as { code?: unknown }).code === REPLY_TOO_LARGE) return current as Error;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** Whether `error` (or one of its causes) is a reply cut off past the bound. */
export function isReplyTooLarge(error: unknown): boolean {
  return replyCut(error) !== null;
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

/** How a body is bounded: all of it, or each event of a stream of events (which may last for hours). */
export interface Cap {
  max: number;
  setting?: string;
  /**
   * A text/event-stream: each event (its lines up to a blank one, as an SSE parser joins them) at
   * most `max` bytes, not the whole stream. Not each line: a server could send an endless event
   * as many short `data:` lines.
   */
  perEvent?: boolean;
  /** Told when the body is cut (a reader that would otherwise wait on it can stop). */
  onCut?: (error: Error) => void;
}

const LF = 0x0a;
const CR = 0x0d;

/** A byte stream that errors (replyTooLarge) once more than `max` bytes went through it, or (perEvent) one event did. */
export function cappedStream(cap: Cap = { max: param.llmReplyMaxBytes }): TransformStream<Uint8Array, Uint8Array> {
  const { max, setting = LLM_SETTING, perEvent = false, onCut } = cap;
  // All the bytes so far, or (perEvent) those of the event still open.
  let count = 0;
  // perEvent: the open line's length, and whether the last byte was a CR (a CRLF ends one line, not two).
  let line = 0;
  let cr = false;
  const cut = (controller: TransformStreamDefaultController<Uint8Array>): void => {
    const error = replyTooLarge(max, setting);
    controller.error(error);
    onCut?.(error);
  };
  return new TransformStream({
    transform(chunk, controller) {
      if (!perEvent) {
        count += chunk.byteLength;
        if (count > max) return cut(controller);
        return controller.enqueue(chunk);
      }
      // Lines end at CRLF, LF or CR (the SSE grammar); an empty line ends the event.
      for (const byte of chunk) {
        if (byte === LF && cr) {
          cr = false;
          continue;
        }
        cr = byte === CR;
        if (byte === LF || byte === CR) {
          if (line === 0) count = 0;
          line = 0;
          continue;
        }
        line++;
        if (++count > max) return cut(controller);
      }
      controller.enqueue(chunk);
    },
  });
}

/** Statuses whose Response has no body (the Response constructor refuses one). */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

/** The same answer, its body cut (failing with replyTooLarge) past the bound as it is read. */
export function cappedResponse(response: Response, cap: Cap = { max: param.llmReplyMaxBytes }): Response {
  if (response.body === null || NO_BODY.has(response.status)) return response;
  const capped = new Response(response.body.pipeThrough(cappedStream(cap)), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // What a reader may ask of the original besides its body.
  Object.defineProperty(capped, 'url', { value: response.url });
  return capped;
}
