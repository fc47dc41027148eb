/**
 * What a provider says about waiting and why it failed, read from its headers and error bodies:
 * retry-after, rate-limit budgets, Google's RetryInfo and ErrorInfo. Shared by both HTTP drivers.
 */
import type { RateLimitInfo } from './types.js';

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first;
}

const DURATION_UNITS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/**
 * A Go/protobuf-style duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`, `13.25s`) or a bare number of
 * seconds, in milliseconds (rounded up); undefined when it cannot be parsed.
 */
export function parseDurationMs(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(text); match !== null; match = part.exec(text)) {
    const unit = DURATION_UNITS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
    consumed = part.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? Math.ceil(total) : undefined;
}

/** `Retry-After`: delay-seconds or an HTTP date; in ms from `now`, never negative. */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The retry delay a response's headers ask for: `retry-after-ms` (OpenAI), then `retry-after`. */
export function retryAfterFromHeaders(headers: HeaderSource, now = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms.trim()));
  return parseRetryAfter(header(headers, 'retry-after'), now);
}

function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** OpenAI-style `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`; undefined when none. */
export function parseRateLimitHeaders(headers: HeaderSource): RateLimitInfo | undefined {
  const info: RateLimitInfo = {};
  const set = <K extends keyof RateLimitInfo>(key: K, value: number | undefined): void => {
    if (value !== undefined) info[key] = value;
  };
  set('limitRequests', count(header(headers, 'x-ratelimit-limit-requests')));
  set('remainingRequests', count(header(headers, 'x-ratelimit-remaining-requests')));
  set('limitTokens', count(header(headers, 'x-ratelimit-limit-tokens')));
  set('remainingTokens', count(header(headers, 'x-ratelimit-remaining-tokens')));
  set('resetRequestsMs', parseDurationMs(header(headers, 'x-ratelimit-reset-requests')));
  set('resetTokensMs', parseDurationMs(header(headers, 'x-ratelimit-reset-tokens')));
  return Object.keys(info).length === 0 ? undefined : info;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Google's error body: `error.details[]` entries typed `type.googleapis.com/google.rpc.*`. */
function googleDetails(body: unknown): Array<Record<string, unknown>> {
  if (!isRecord(body) || !isRecord(body.error) || !Array.isArray(body.error.details)) return [];
  return body.error.details.filter(isRecord);
}

/** `google.rpc.RetryInfo.retryDelay` (e.g. `"13s"`) from a Gemini error body, in ms. */
export function retryDelayFromGoogleBody(body: unknown): number | undefined {
  for (const detail of googleDetails(body)) {
    const type = detail['@type'];
    if (typeof type === 'string' && type.endsWith('google.rpc.RetryInfo')) {
      const delay = detail.retryDelay;
      if (typeof delay === 'string') return parseDurationMs(delay);
      // A Duration may also arrive as {seconds, nanos}.
      if (isRecord(delay)) {
        const seconds = Number(delay.seconds ?? 0);
        const nanos = Number(delay.nanos ?? 0);
        if (Number.isFinite(seconds) && Number.isFinite(nanos)) return Math.ceil(seconds * 1000 + nanos / 1e6);
      }
    }
  }
  return undefined;
}

/** `google.rpc.ErrorInfo.reason` values (e.g. `API_KEY_INVALID`) from a Google error body. */
export function googleErrorReasons(body: unknown): string[] {
  const reasons: string[] = [];
  for (const detail of googleDetails(body)) {
    if (typeof detail.reason === 'string') reasons.push(detail.reason);
  }
  return reasons;
}

/** The human message inside a provider's error body (`{error: {message}}` or `{error: "..."}`). */
export function errorMessageFromBody(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const error = body.error;
  if (typeof error === 'string') return error;
  if (isRecord(error) && typeof error.message === 'string') return error.message;
  if (typeof body.message === 'string') return body.message;
  return undefined;
}
