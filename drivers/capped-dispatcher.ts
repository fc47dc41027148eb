/**
 * A fetch dispatcher that bounds each answer's bytes as they arrive, for a client whose fetch is its
 * own (the chromadb client): its answers can be bounded only below fetch. Past `cap.max` bytes the
 * request is aborted with replyTooLarge (reply-cap.ts), which the body's reader gets as the cause of
 * its error.
 *
 * Below fetch the bytes are still encoded: fetch decodes gzip, deflate and br after the dispatcher,
 * whatever the request asked for, so a kilobyte on the wire can be a megabyte read (a compressed
 * answer of the bound's size, gigabytes). Each request therefore asks for `accept-encoding:
 * identity`, and an answer that comes encoded all the same is refused before its body is read.
 *
 * Bounded in time too: a request ends when the operation it was made under is aborted (its time
 * limit, its process killed: request-signal.ts) and, outside one or beside it, `time.maxMs` after
 * it was dispatched — an answer dripped a byte at a time would otherwise hold its socket, and the
 * event loop, for as long as the server liked.
 */
import { type FetchDispatcher, headerObject } from './node-dispatcher.js';
import { type Cap, REPLY_TOO_LARGE, ReplyBytes, replyTooLarge } from './reply-cap.js';
import { requestScope } from './request-signal.js';

type Abort = (reason?: Error) => void;
/** The handler methods this wraps: undici's, as Node 20's fetch hands them over. */
interface Handler {
  onConnect?: (abort: Abort) => unknown;
  onHeaders?: (status: number, rawHeaders: Buffer[], ...rest: unknown[]) => boolean;
  onData?: (chunk: Uint8Array) => boolean;
  onComplete?: (...args: unknown[]) => unknown;
  onError?: (error: Error) => unknown;
}

/** A content-encoding other than identity among raw header pairs; null when none. */
function encodingOf(headers: Buffer[]): string | null {
  const values: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2)
    if (String(headers[i]).toLowerCase() === 'content-encoding') values.push(String(headers[i + 1]));
  const text = values.join(', ').trim().toLowerCase();
  return text === '' || text === 'identity' ? null : text;
}

/** Raw header pairs without their content-encoding. */
function withoutEncoding(headers: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as Buffer;
    if (String(name).toLowerCase() !== 'content-encoding') out.push(name, headers[i + 1] as Buffer);
  }
  return out;
}

function encodedRefused(encoding: string, setting: string | undefined): Error {
  const where = setting ? ` (${setting})` : '';
  return Object.assign(
    new Error(
      `the answer came encoded (content-encoding: ${encoding}) though none was asked for; its size cannot be bounded as it arrives${where}`,
    ),
    { code: REPLY_TOO_LARGE },
  );
}

/** How long an answer may take, from its request to its last byte, and where that is set (as its error names it). */
export interface AnswerTime {
  maxMs: number;
  timeSetting?: string;
}

function tookTooLong(time: AnswerTime): Error {
  const where = time.timeSetting ? ` (${time.timeSetting})` : '';
  return Object.assign(new Error(`the answer took longer than ${time.maxMs / 1000} s${where}; cut off`), {
    code: 'ETIMEDOUT',
  });
}

/** Why `signal` aborted, as an Error. */
const reasonOf = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new Error('the request was aborted');

/**
 * Requests passed on to `inner()` (looked up at each request), each answer bounded to `cap.max`
 * bytes and unencoded, and ended by its operation's signal or after `time.maxMs`.
 */
export function cappedDispatcher(inner: () => FetchDispatcher, cap: Cap, time?: AnswerTime): FetchDispatcher {
  return {
    dispatch(options, handler) {
      const target = handler as Handler;
      const bytes = new ReplyBytes(cap.max);
      let abort: Abort | undefined;
      let encoded: string | null = null;
      let refused: Error | null = null;
      let started = false;
      let settled = false;
      // Made once a request; the handler's own object stays `this` for its methods (through the
      // Proxy, which forwards what they set and read).
      const wrapped: Partial<Record<keyof Handler, unknown>> = {};
      const counting: Handler = new Proxy(target, {
        get: (t, key, receiver) => wrapped[key as keyof Handler] ?? (Reflect.get(t, key, receiver) as unknown),
      });
      /**
       * The answer ends here: nothing more reaches fetch but the error, told on the next turn of the
       * loop. Fetch makes the body's stream only once the answer's start has settled its promise; an
       * error told in the same turn as the start (a short answer comes in one read) was lost and
       * left the body's reader waiting for good (Node 20's fetch).
       */
      const end = (error: Error): void => {
        if (refused !== null || settled) return;
        refused = error;
        if (operation) operation.failure = error;
        letGo();
        setImmediate(() => {
          abort?.(error);
          target.onError?.call(counting, error);
        });
      };
      const refuse = (error: Error): void => {
        if (refused === null) cap.onCut?.(error);
        end(error);
      };
      // The operation's signal and the answer's own time, let go of once the answer settled.
      const operation = requestScope();
      const signal = operation?.signal;
      const onAbort = (): void => end(reasonOf(signal as AbortSignal));
      const timer = time ? setTimeout(() => end(tookTooLong(time)), time.maxMs).unref() : undefined;
      function letGo(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      wrapped.onConnect = (given: Abort) => {
        abort = given;
        // Ended before it had a connection: it ends as it gets one.
        if (refused !== null) return given(refused);
        return target.onConnect?.call(counting, given);
      };
      // An encoded answer: its start goes on without the encoding (fetch decodes nothing), its first byte ends it.
      wrapped.onHeaders = (status: number, rawHeaders: Buffer[], ...rest: unknown[]) => {
        started = true;
        encoded = encodingOf(rawHeaders);
        const passed = encoded === null ? rawHeaders : withoutEncoding(rawHeaders);
        return target.onHeaders?.call(counting, status, passed, ...rest);
      };
      wrapped.onData = (chunk: Uint8Array) => {
        if (refused !== null) return false;
        if (encoded !== null) refuse(encodedRefused(encoded, cap.setting));
        else if (!bytes.add(chunk.byteLength)) refuse(replyTooLarge(cap.max, cap.setting));
        else return target.onData?.call(counting, chunk);
        return false;
      };
      // Once refused, the end and the error the abort brings are the refusal's, told once (above).
      wrapped.onComplete = (...args: unknown[]) => {
        if (refused !== null) return undefined;
        settled = true;
        letGo();
        return target.onComplete?.call(counting, ...args);
      };
      // An error after the answer's start is told on the next turn too, for the same reason (the
      // unix-socket dispatcher's parser fails in the turn the start came, on stray bytes after a body).
      wrapped.onError = (error: Error) => {
        if (refused !== null) return;
        settled = true;
        if (operation) operation.failure = error;
        letGo();
        if (!started) return target.onError?.call(counting, error);
        setImmediate(() => target.onError?.call(counting, error));
      };
      if (signal?.aborted) onAbort();
      return inner().dispatch(
        {
          ...options,
          headers: { ...headerObject((options as { headers?: unknown }).headers), 'accept-encoding': 'identity' },
        },
        counting,
      );
    },
  };
}
