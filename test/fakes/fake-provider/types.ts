/** The fake provider's public shapes: its behaviour (replies, latency, faults, limits), its records and stats. */
import type { Headroom, RateLimits } from './limiter.js';
import type { FakeMessage, FakeUsage, WireFormat } from './wire.js';

export const DEFAULT_FAKE_REPLY = '[SYS_CALL::SYS_EXIT] {"code":0}';

/** What a behavior function sees about a request. */
export interface FakeRequestContext {
  /** 0-based arrival order across the server's life. */
  index: number;
  format: WireFormat;
  model: string;
  path: string;
  system: string;
  messages: FakeMessage[];
  body: unknown;
  /** The client asked for a streamed reply. */
  stream: boolean;
}

export type FakeFault =
  /** 429 in the provider's shape; Retry-After in seconds (default 1 s), or as an HTTP date, or none. */
  | {
      kind: 'rate_limit';
      retryAfterMs?: number;
      retryAfter?: 'seconds' | 'date' | 'none';
      headers?: Record<string, string>;
    }
  /** 500 (or the given 5xx) in the provider's shape. */
  | { kind: 'server'; status?: number; message?: string }
  /** Any status with any body (a string is sent as is, anything else as JSON). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 401 for OpenAI; Gemini's real answer to a bad key: 400 INVALID_ARGUMENT + API_KEY_INVALID. */
  | { kind: 'auth' }
  /** 200 with a body that is not JSON (default: truncated JSON). */
  | { kind: 'malformed'; body?: string; contentType?: string }
  /** A safety block of the prompt (Gemini promptFeedback) or of the reply (SAFETY / content_filter). */
  | { kind: 'blocked'; stage?: 'prompt' | 'reply'; reason?: string }
  /** Never answer; the connection stays open until the client gives up or the server closes. */
  | { kind: 'hang' }
  /** Destroy the connection without an answer. */
  | { kind: 'reset' };

export interface FakeBehavior {
  /**
   * Delay before answering (injected faults included). Default 0. Up-front refusals (wrong key,
   * the limiter's 429, a body that is not JSON) are immediate, as real providers' are.
   */
  latencyMs?: number | ((ctx: FakeRequestContext) => number);
  /** The reply text. Default: `[SYS_CALL::SYS_EXIT] {"code":0}`. */
  reply?: string | ((ctx: FakeRequestContext) => string);
  /**
   * Usage reported (in the provider's fields). Default: an estimate, 4 characters a token, of the
   * system + messages (prompt) and the reply (output). `null` reports no usage at all.
   */
  usage?: FakeUsage | null | ((ctx: FakeRequestContext, reply: string) => FakeUsage | null);
  /** In the provider's vocabulary (STOP, MAX_TOKENS / stop, length). */
  finishReason?: string | ((ctx: FakeRequestContext) => string);
  /** A failure instead of a reply; return undefined from the function to answer normally. */
  fault?: FakeFault | ((ctx: FakeRequestContext) => FakeFault | undefined);
  /** The built-in limiter; changing it through setBehavior starts a fresh window. */
  limits?: RateLimits;
  /** Serve at most this many requests at once; the next ones get 503 at once (no Retry-After). */
  maxConcurrent?: number;
  /** Send x-ratelimit-* headers on every answer. Default: when `limits` are set. */
  rateLimitHeaders?: boolean;
  /** Extra headers on every answer. */
  headers?: Record<string, string>;
  /** Answer a request to stream as a stream (default true); false answers it whole, as servers that ignore `stream` do. */
  streams?: boolean;
  /** Between the pieces of a streamed reply. Default 0. */
  streamGapMs?: number;
  /** Require this key (Bearer for OpenAI, x-goog-api-key or ?key= for Gemini); else an auth fault. */
  apiKey?: string;
}

export type RequestOutcome =
  | 'pending'
  | 'ok'
  | 'rate_limited' // by the limiter or a rate_limit fault
  | 'error' // any other non-2xx
  | 'malformed'
  | 'blocked'
  | 'reset'
  | 'hang' // still hanging when the server closed
  | 'aborted' // the client went away before the answer
  | 'not_found';

export interface RecordedRequest {
  index: number;
  format?: WireFormat;
  method: string;
  /** Without the query string (which may carry a key). */
  path: string;
  model?: string;
  /** Parsed JSON body; undefined when it was not JSON (then `rawBody` holds it). */
  body: unknown;
  rawBody?: string;
  /** Lower-cased; authorization, x-goog-api-key, api-key and cookie removed. */
  headers: Record<string, string>;
  /** Whether the request carried an API key (header or `?key=`). Never the value. */
  auth: boolean;
  system: string;
  messages: FakeMessage[];
  /** Date.now() at arrival and at the answer (or abort). */
  receivedAt: number;
  respondedAt?: number;
  status?: number;
  outcome: RequestOutcome;
  /** The usage reported to the client, when it was a success. */
  usage?: FakeUsage;
}

export interface FakeProviderStats {
  requests: number;
  ok: number;
  rateLimited: number;
  /** Answered with the limiter's 429 (a subset of rateLimited). */
  limiterRejections: number;
  /** Answered 503 because `maxConcurrent` requests were being served (a subset of errors). */
  capacityRejections: number;
  /** The most requests served at once (refusals not counted). */
  maxServing: number;
  errors: number;
  inFlight: number;
  maxInFlight: number;
  /** Tokens reported in successful replies (prompt + output + thoughts). */
  tokens: number;
}

export interface FakeProvider {
  /** `http://127.0.0.1:<port>`: the Gemini base URL; OpenAI clients use `${url}/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order (none kept when started with `record: false`). */
  readonly requests: RecordedRequest[];
  /** Shallow-merge into the current behavior (pass `undefined` values to clear fields). */
  setBehavior(patch: Partial<FakeBehavior>): void;
  stats(): FakeProviderStats;
  /** The limiter's current headroom (empty when no limits). */
  headroom(): Headroom;
  /**
   * Forget the requests served and the peaks, as a fresh server would have none — while nothing is
   * in flight (a benchmark's warm server between runs: its records would otherwise pile up).
   */
  reset(): void;
  /** Closes every connection (hung ones included) and the server. */
  close(): Promise<void>;
}

export interface FakeProviderOptions extends FakeBehavior {
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * Keep each request's record in `requests` (default true). false only counts them (stats()): a
   * benchmark's server answering thousands, whose held bodies would cost it more than serving them.
   */
  record?: boolean;
}
