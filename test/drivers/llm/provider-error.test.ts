import { describe, expect, it } from 'vitest';
import { fromHttpFailure, kindForStatus, ProviderError, redact } from '../../../drivers/llm/provider-error.js';
import { fromTransportError } from '../../../drivers/llm/transport-error.js';
import {
  parseDurationMs,
  parseRateLimitHeaders,
  parseRetryAfter,
  retryAfterFromHeaders,
  retryDelayFromGoogleBody,
} from '../../../drivers/llm/provider-headers.js';

describe('provider error parsers', () => {
  it('parses Go/protobuf durations and bare seconds', () => {
    expect(parseDurationMs('1s')).toBe(1000);
    expect(parseDurationMs('6m0s')).toBe(360_000);
    expect(parseDurationMs('20ms')).toBe(20);
    expect(parseDurationMs('1h2m3.5s')).toBe(3_723_500);
    expect(parseDurationMs('13.25s')).toBe(13_250);
    expect(parseDurationMs('0.5')).toBe(500);
    expect(parseDurationMs('')).toBeUndefined();
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseDurationMs('5x')).toBeUndefined();
    expect(parseDurationMs('1s junk')).toBeUndefined();
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(parseRetryAfter('13', now)).toBe(13_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0); // past: now
    expect(parseRetryAfter('nonsense', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '2', 'retry-after-ms': '1500' }))).toBe(1500);
    expect(retryAfterFromHeaders({ 'retry-after': '2' })).toBe(2000);
  });

  it('parses x-ratelimit-* headers, and nothing when there are none', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseRateLimitHeaders(headers)).toEqual({
      limitRequests: 60,
      remainingRequests: 59,
      resetRequestsMs: 1000,
      limitTokens: 150_000,
      remainingTokens: 149_984,
      resetTokensMs: 360_000,
    });
    expect(parseRateLimitHeaders(new Headers({ 'content-type': 'application/json' }))).toBeUndefined();
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining-requests': 'lots' })).toBeUndefined();
  });

  it('reads google.rpc.RetryInfo from a Gemini 429 body', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '13s' },
        ],
      },
    };
    expect(retryDelayFromGoogleBody(body)).toBe(13_000);
    expect(
      retryDelayFromGoogleBody({
        error: { details: [{ '@type': 'x/google.rpc.RetryInfo', retryDelay: { seconds: 2, nanos: 5e8 } }] },
      }),
    ).toBe(2500);
    expect(retryDelayFromGoogleBody({ error: 'plain' })).toBeUndefined();
    expect(retryDelayFromGoogleBody(null)).toBeUndefined();
  });
});

describe('ProviderError', () => {
  it('maps statuses to kinds with the right retryability', () => {
    const cases: Array<[number, string, boolean]> = [
      [429, 'rate_limit', true],
      [500, 'server', true],
      [503, 'server', true],
      [408, 'timeout', true],
      [401, 'auth', false],
      [403, 'auth', false],
      [400, 'bad_request', false],
      [404, 'bad_request', false],
    ];
    for (const [status, kind, retryable] of cases) {
      expect(kindForStatus(status)).toBe(kind);
      const error = fromHttpFailure({ model: 'm:x', status, headers: {}, bodyText: '' });
      expect(error).toMatchObject({ kind, retryable, status, name: 'ProviderError' });
    }
    expect(new ProviderError('malformed', 'x').retryable).toBe(true);
    expect(new ProviderError('blocked', 'x').retryable).toBe(false);
    expect(new ProviderError('server', 'x', { retryable: false }).retryable).toBe(false);
  });

  it('keeps absent fields absent', () => {
    const error = new ProviderError('server', 'boom');
    expect(Object.keys(error)).not.toContain('retryAfterMs');
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'ProviderError', kind: 'server', retryable: true });
  });

  it('builds a precise message from a provider error body, with the key scrubbed', () => {
    const error = fromHttpFailure({
      model: 'openai:gpt-4o-mini',
      status: 429,
      headers: { 'retry-after': '3' },
      bodyText: JSON.stringify({ error: { message: 'Rate limit reached for key sk-abcdefgh12345678' } }),
      secret: 'sk-abcdefgh12345678',
    });
    expect(error.message).toBe(
      'openai:gpt-4o-mini: rate limited (HTTP 429), retry after 3000 ms: Rate limit reached for key [redacted]',
    );
    expect(redact('key=AIzaSyA1234567890123456789012345 ok')).toBe('key=[redacted] ok');
  });

  it('classifies transport failures', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    // Refused: nothing serves the address, and six retries would find the same. Said at once, with what to check.
    expect(fromTransportError('m', refused)).toMatchObject({ kind: 'network', retryable: false });
    const refusedAt = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 9,
      }),
    });
    expect(fromTransportError('openai:llama3', refusedAt)?.message).toBe(
      'openai:llama3: cannot reach the model server: 127.0.0.1:9 refused the connection (ECONNREFUSED); is the model server running there, and is OPENAI_BASE_URL right? The kernel reads it when it starts: after changing it, run `aos kernel restart`',
    );
    const eyeballs = new TypeError('fetch failed', {
      cause: Object.assign(
        new AggregateError([
          Object.assign(new Error('connect ECONNREFUSED ::1:11434'), {
            code: 'ECONNREFUSED',
            address: '::1',
            port: 11434,
          }),
        ]),
        { code: 'ECONNREFUSED' },
      ),
    });
    expect(fromTransportError('gemini:g', eyeballs)?.message).toContain('[::1]:11434 refused the connection');
    const unknownHost = new TypeError('fetch failed', {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND llm.internal'), {
        code: 'ENOTFOUND',
        hostname: 'llm.internal',
      }),
    });
    expect(fromTransportError('gemini:g', unknownHost)).toMatchObject({
      retryable: false,
      message: expect.stringContaining(
        'llm.internal is not a known host name (ENOTFOUND); is the model server running there, and is GEMINI_BASE_URL right?',
      ),
    });
    // A reset may pass: retried.
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    expect(fromTransportError('m', reset)).toMatchObject({
      kind: 'network',
      retryable: true,
      message: 'm: network error (ECONNRESET): read ECONNRESET',
    });
    const headersTimeout = new TypeError('fetch failed', {
      cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
    });
    expect(fromTransportError('m', headersTimeout)?.kind).toBe('timeout');
    expect(fromTransportError('m', new RangeError('bug'))).toBeUndefined();
  });
});
