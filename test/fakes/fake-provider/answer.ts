/** Writing the fake provider's answers: JSON bodies, rate-limit headers, and each injected fault in the provider's shape. */
import type http from 'node:http';
import type { Headroom } from './limiter.js';
import type { FakeFault, FakeRequestContext, RequestOutcome } from './types.js';
import { blockedBody, errorBody, type FakeUsage, goDuration, keyInvalidInfo, quotaFailure, retryInfo } from './wire.js';

/** How a request ended, as recorded. */
export interface Answered {
  outcome: RequestOutcome;
  status?: number;
  /** The usage a successful reply reported. */
  usage?: FakeUsage;
}

export function sendFault(
  ctx: FakeRequestContext,
  fault: FakeFault,
  usage: FakeUsage | null,
  headers: Record<string, string>,
  res: http.ServerResponse,
): Answered {
  const { format } = ctx;
  switch (fault.kind) {
    case 'rate_limit': {
      const retryAfterMs = fault.retryAfterMs ?? 1000;
      const style = fault.retryAfter ?? 'seconds';
      const retryHeader: Record<string, string> =
        style === 'seconds'
          ? { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) }
          : style === 'date'
            ? { 'retry-after': new Date(Date.now() + retryAfterMs).toUTCString() }
            : {};
      const details =
        format === 'gemini' ? [quotaFailure('generate_content_requests_per_minute'), retryInfo(retryAfterMs)] : [];
      send(res, 429, errorBody(format, 429, 'fake provider: rate limit reached (injected)', details), {
        ...headers,
        ...retryHeader,
        ...(fault.headers ?? {}),
      });
      return { outcome: 'rate_limited', status: 429 };
    }
    case 'server': {
      const status = fault.status ?? 500;
      send(
        res,
        status,
        errorBody(format, status, fault.message ?? 'fake provider: internal error (injected)'),
        headers,
      );
      return { outcome: 'error', status };
    }
    case 'status': {
      send(
        res,
        fault.status,
        fault.body ?? errorBody(format, fault.status, `fake provider: HTTP ${fault.status} (injected)`),
        {
          ...headers,
          ...(fault.headers ?? {}),
        },
      );
      return {
        outcome: fault.status === 429 ? 'rate_limited' : fault.status < 400 ? 'ok' : 'error',
        status: fault.status,
      };
    }
    case 'auth': {
      if (format === 'gemini') {
        const message = 'API key not valid. Please pass a valid API key.';
        send(res, 400, errorBody(format, 400, message, [keyInvalidInfo()]), headers);
        return { outcome: 'error', status: 400 };
      }
      send(res, 401, errorBody(format, 401, 'Incorrect API key provided. (fake provider)'), headers);
      return { outcome: 'error', status: 401 };
    }
    case 'malformed': {
      const body =
        fault.body ?? (format === 'gemini' ? '{"candidates": [{"content": {"parts": [{"te' : '{"choices": [{"mess');
      res.writeHead(200, { 'content-type': fault.contentType ?? 'application/json', ...headers });
      res.end(body);
      return { outcome: 'malformed', status: 200 };
    }
    case 'blocked': {
      if (ctx.stream) {
        // As a stream, in one chunk: what a provider streams when it blocks.
        res.writeHead(200, { 'content-type': 'text/event-stream', ...headers });
        res.end(
          `data: ${JSON.stringify(blockedChunk(format, blockedBody(format, ctx.model, fault.stage ?? 'reply', fault.reason, usage)))}\n\n${format === 'openai' ? 'data: [DONE]\n\n' : ''}`,
        );
        return { outcome: 'blocked', status: 200 };
      }
      send(res, 200, blockedBody(format, ctx.model, fault.stage ?? 'reply', fault.reason, usage), headers);
      return { outcome: 'blocked', status: 200 };
    }
    case 'hang':
      // Headers are not even sent: the client waits for the status line.
      return { outcome: 'hang' };
    case 'reset':
      res.socket?.destroy();
      return { outcome: 'reset' };
  }
}

export function rateLimitHeaders(headroom: Headroom): Record<string, string> {
  const headers: Record<string, string> = {};
  if (headroom.limitRequests !== undefined) headers['x-ratelimit-limit-requests'] = String(headroom.limitRequests);
  if (headroom.remainingRequests !== undefined)
    headers['x-ratelimit-remaining-requests'] = String(headroom.remainingRequests);
  if (headroom.resetRequestsMs !== undefined)
    headers['x-ratelimit-reset-requests'] = goDuration(headroom.resetRequestsMs);
  if (headroom.limitTokens !== undefined) headers['x-ratelimit-limit-tokens'] = String(headroom.limitTokens);
  if (headroom.remainingTokens !== undefined)
    headers['x-ratelimit-remaining-tokens'] = String(headroom.remainingTokens);
  if (headroom.resetTokensMs !== undefined) headers['x-ratelimit-reset-tokens'] = goDuration(headroom.resetTokensMs);
  return headers;
}

export function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

/** A blocked answer as a streamed chunk: Gemini's is the same object; OpenAI's choice carries a `delta`. */
function blockedChunk(format: 'gemini' | 'openai', body: Record<string, unknown>): Record<string, unknown> {
  if (format === 'gemini' || !Array.isArray(body.choices)) return body;
  return {
    ...body,
    object: 'chat.completion.chunk',
    choices: (body.choices as Array<Record<string, unknown>>).map(({ message, ...choice }) => ({
      ...choice,
      delta: message ?? {},
    })),
  };
}
