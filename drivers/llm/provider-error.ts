/**
 * The one typed failure a model provider driver throws. Drivers make ONE attempt; this error says
 * precisely what went wrong, whether trying again can help, and when, so the model pool (kernel/)
 * decides about retries, backoff and rate limits. The header/body parsers both drivers
 * share are in provider-headers.ts; a failure before any HTTP status (fetch threw) is read in
 * transport-error.ts.
 */
import type { Errno } from '../../sys/errno.js';
import type { RateLimitInfo } from './types.js';
import {
  errorMessageFromBody,
  googleErrorReasons,
  type HeaderSource,
  parseRateLimitHeaders,
  retryAfterFromHeaders,
  retryDelayFromGoogleBody,
} from './provider-headers.js';

export type { RateLimitInfo } from './types.js';

export const PROVIDER_ERROR_KINDS = [
  'rate_limit', // 429: retryable, usually after `retryAfterMs`
  'server', // 5xx: retryable
  'timeout', // our deadline (or the server's 408) passed: retryable
  'network', // connection reset, unreachable network: retryable; refused, unknown host: not (said at once)
  'auth', // 401/403 or an invalid key: not retryable
  'bad_request', // 400 and other 4xx (unknown model, too long a prompt): not retryable
  'malformed', // the reply could not be understood: retryable (once is the pool's choice)
  'blocked', // a safety filter blocked the prompt or the reply: not retryable
] as const;

export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

const RETRYABLE: Record<ProviderErrorKind, boolean> = {
  rate_limit: true,
  server: true,
  timeout: true,
  network: true,
  auth: false,
  bad_request: false,
  malformed: true,
  blocked: false,
};

export interface ProviderErrorOptions {
  status?: number;
  retryAfterMs?: number;
  rateLimit?: RateLimitInfo;
  /** Overrides the kind's default. */
  retryable?: boolean;
  /** For `blocked`: the provider's reason (SAFETY, PROHIBITED_CONTENT, content_filter...). */
  blockReason?: string;
  /** The driver id, e.g. `gemini:gemini-2.5-flash`. */
  model?: string;
  /** Where the request went (its base URL, no credentials): retries and logs name it. */
  endpoint?: string;
  cause?: unknown;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;
  // `declare`: absent fields stay absent (no own `undefined` properties in logs and JSON).
  declare readonly status?: number;
  declare readonly retryAfterMs?: number;
  declare readonly rateLimit?: RateLimitInfo;
  declare readonly blockReason?: string;
  declare readonly model?: string;
  declare readonly endpoint?: string;

  constructor(kind: ProviderErrorKind, message: string, options: ProviderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.retryable = options.retryable ?? RETRYABLE[kind];
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.rateLimit !== undefined) this.rateLimit = options.rateLimit;
    if (options.blockReason !== undefined) this.blockReason = options.blockReason;
    if (options.model !== undefined) this.model = options.model;
    if (options.endpoint !== undefined) this.endpoint = options.endpoint;
  }

  /** The errno this failure would be reported as, were it surfaced to a process. */
  get errno(): Errno {
    switch (this.kind) {
      case 'rate_limit':
        return 'EAGAIN';
      case 'timeout':
        return 'ETIMEDOUT';
      case 'auth':
      case 'blocked':
        return 'EACCES';
      case 'bad_request':
        return 'EINVAL';
      default:
        return 'EIO';
    }
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}

/** The kind an HTTP failure status maps to. */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'bad_request';
}

// ---------------------------------------------------------------------------------------------
// Building errors
// ---------------------------------------------------------------------------------------------

const EXCERPT_CHARS = 300;
/** Key-shaped tokens (Google `AIza...`, OpenAI `sk-...`), redacted even when not ours. */
const KEY_SHAPES = /\b(?:AIza[0-9A-Za-z_-]{20,}|sk-[0-9A-Za-z_*.-]{8,})/g;

/** Remove the secret (and anything shaped like an API key) from text bound for an error. */
export function redact(text: string, secret?: string): string {
  let out = text;
  if (secret !== undefined && secret.length > 0) out = out.split(secret).join('[redacted]');
  return out.replace(KEY_SHAPES, '[redacted]');
}

export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}

function describeKind(kind: ProviderErrorKind, status: number | undefined): string {
  const http = status === undefined ? '' : ` (HTTP ${status})`;
  switch (kind) {
    case 'rate_limit':
      return `rate limited${http}`;
    case 'server':
      return `server error${http}`;
    case 'timeout':
      return `timed out${http}`;
    case 'network':
      return 'network error';
    case 'auth':
      return `authentication failed${http}`;
    case 'bad_request':
      return `request rejected${http}`;
    case 'malformed':
      return `malformed reply${http}`;
    case 'blocked':
      return 'blocked by a safety filter';
  }
}

export interface HttpFailure {
  /** Driver id, e.g. `openai:llama3.1:8b`; prefixes the message. */
  model: string;
  status: number;
  headers: HeaderSource;
  /** The raw response body (may be empty or not JSON). */
  bodyText: string;
  /** The API key, so it can be scrubbed from the message. */
  secret?: string;
  now?: number;
}

/** A non-2xx HTTP response as a ProviderError: kind from the status, retry delay, headroom. */
export function fromHttpFailure(failure: HttpFailure): ProviderError {
  const { model, status, headers, bodyText, secret } = failure;
  let body: unknown;
  try {
    body = bodyText.trim() === '' ? undefined : JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  let kind = kindForStatus(status);
  const reasons = googleErrorReasons(body);
  // Gemini answers a bad key with 400 INVALID_ARGUMENT + ErrorInfo reason API_KEY_INVALID.
  if (kind === 'bad_request' && reasons.some((reason) => reason.startsWith('API_KEY_'))) kind = 'auth';
  const retryAfterMs = retryAfterFromHeaders(headers, failure.now) ?? retryDelayFromGoogleBody(body);
  const rateLimit = parseRateLimitHeaders(headers);
  const detail = errorMessageFromBody(body) ?? bodyText;
  const wait = retryAfterMs === undefined ? '' : `, retry after ${retryAfterMs} ms`;
  const said = detail.trim() === '' ? '' : `: ${excerpt(redact(detail, secret))}`;
  return new ProviderError(kind, `${model}: ${describeKind(kind, status)}${wait}${said}`, {
    status,
    model,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
  });
}

export function malformedError(model: string, what: string, secret?: string, status?: number): ProviderError {
  return new ProviderError(
    'malformed',
    `${model}: ${describeKind('malformed', status)}: ${excerpt(redact(what, secret))}`,
    {
      model,
      ...(status === undefined ? {} : { status }),
    },
  );
}

/** A safety filter blocked the `prompt` or withheld the `reply`; `blockReason` is the provider's word. */
export function blockedError(
  model: string,
  stage: 'prompt' | 'reply',
  blockReason: string,
  detail?: string,
): ProviderError {
  const more = detail === undefined || detail.trim() === '' ? '' : `: ${excerpt(detail)}`;
  const what = stage === 'prompt' ? 'the prompt was blocked' : 'the reply was withheld';
  return new ProviderError(
    'blocked',
    `${model}: ${describeKind('blocked', undefined)}: ${what} (${blockReason})${more}`,
    {
      model,
      blockReason,
    },
  );
}
