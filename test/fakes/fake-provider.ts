/**
 * A fake model provider on 127.0.0.1 speaking both wire formats, for tests and benchmarks:
 * - Gemini: `POST /v1beta/models/<m>:generateContent` (also `/v1/...`, `/v1alpha/...`)
 * - OpenAI: `POST /v1/chat/completions` and `POST /chat/completions`
 *
 * Configurable per server (and changeable live with `setBehavior`): latency, reply text, usage
 * figures, finish reason, faults (429 with Retry-After and rate-limit headers, 5xx, any status,
 * malformed JSON, safety blocks, hangs, connection resets), a required API key, and a built-in
 * sliding-window limiter (`rpm`, `tpm` counting reported usage) answering 429 + Retry-After, and
 * a capacity (`maxConcurrent`) past which it answers 503 at once, as a server out of slots does.
 * Every request is recorded with its parsed body, headers (auth values never kept: only whether
 * an auth header was present) and timestamps. Dependency-free: node:http only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WindowLimiter, type Headroom, type RateLimits } from './fake-provider/limiter.js';
import {
  blockedBody,
  defaultFinishReason,
  errorBody,
  estimateTokens,
  goDuration,
  keyInvalidInfo,
  quotaFailure,
  readPrompt,
  retryInfo,
  route,
  successBody,
  type FakeMessage,
  type FakeUsage,
  type WireFormat,
} from './fake-provider/wire.js';

export type { Headroom, RateLimits } from './fake-provider/limiter.js';
export type { FakeMessage, FakeUsage, WireFormat } from './fake-provider/wire.js';

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
}

export type FakeFault =
  /** 429 in the provider's shape; Retry-After in seconds (default 1 s), or as an HTTP date, or none. */
  | { kind: 'rate_limit'; retryAfterMs?: number; retryAfter?: 'seconds' | 'date' | 'none'; headers?: Record<string, string> }
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
  readonly requests: RecordedRequest[];
  /** Shallow-merge into the current behavior (pass `undefined` values to clear fields). */
  setBehavior(patch: Partial<FakeBehavior>): void;
  stats(): FakeProviderStats;
  /** The limiter's current headroom (empty when no limits). */
  headroom(): Headroom;
  /** Closes every connection (hung ones included) and the server. */
  close(): Promise<void>;
}

export interface FakeProviderOptions extends FakeBehavior {
  /** 0 (default) picks a free port. */
  port?: number;
}

const AUTH_HEADERS = new Set(['authorization', 'x-goog-api-key', 'api-key', 'cookie', 'proxy-authorization']);

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const { port: wantedPort = 0, ...initial } = options;
  let behavior: FakeBehavior = { ...initial };
  let limiter = behavior.limits === undefined ? undefined : new WindowLimiter(behavior.limits);
  const requests: RecordedRequest[] = [];
  /** Hanging answers, with how to record them as such when the server closes. */
  const hung = new Map<http.ServerResponse, () => void>();
  let inFlight = 0;
  let maxInFlight = 0;
  let limiterRejections = 0;
  let capacityRejections = 0;
  let serving = 0;
  let maxServing = 0;
  let closing = false;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, rawBody: string): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: unknown;
    let parsed = true;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      parsed = false;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!AUTH_HEADERS.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const presentedKey = presentedApiKey(req, url);
    const record: RecordedRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path: url.pathname,
      body,
      headers,
      auth: presentedKey !== undefined,
      system: '',
      messages: [],
      receivedAt: Date.now(),
      outcome: 'pending',
    };
    if (!parsed) record.rawBody = rawBody;
    requests.push(record);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let settled = false;
    let isServing = false;
    const settle = (outcome: RequestOutcome, status?: number): void => {
      if (settled) return;
      settled = true;
      inFlight -= 1;
      if (isServing) serving -= 1;
      record.outcome = outcome;
      record.respondedAt = Date.now();
      if (status !== undefined) record.status = status;
    };
    res.on('close', () => {
      hung.delete(res);
      if (!settled) settle(closing ? 'hang' : 'aborted');
    });

    const routed = req.method === 'POST' ? route(url.pathname, body) : undefined;
    if (routed === undefined) {
      send(res, 404, { error: { code: 404, message: `fake provider: no route for ${req.method} ${url.pathname}` } });
      settle('not_found', 404);
      return;
    }
    record.format = routed.format;
    record.model = routed.model;
    const prompt = readPrompt(routed.format, body);
    record.system = prompt.system;
    record.messages = prompt.messages;
    const ctx: FakeRequestContext = { index: record.index, format: routed.format, model: routed.model, path: url.pathname, body, ...prompt };
    const current = behavior;
    const { immediate, run } = plan(ctx, current, parsed, presentedKey);
    if (!immediate) {
      serving += 1;
      maxServing = Math.max(maxServing, serving);
      isServing = true;
    }
    const answer = (): void => {
      if (settled || res.destroyed) return;
      const result = run(res);
      if (result.outcome === 'hang') {
        hung.set(res, () => settle('hang'));
        return;
      }
      settle(result.outcome, result.status);
    };
    const latency = immediate ? 0 : typeof current.latencyMs === 'function' ? current.latencyMs(ctx) : (current.latencyMs ?? 0);
    if (latency > 0) {
      const timer = setTimeout(answer, latency);
      res.on('close', () => clearTimeout(timer));
    } else {
      answer();
    }
  }

  type Outcome = { outcome: RequestOutcome; status?: number };

  /**
   * Decide at arrival what the answer will be. Refusals a real provider makes up front (a body
   * that is not JSON, a wrong key, the limiter's 429) go out at once; replies and injected faults
   * go out after the configured latency. The limiter counts a request when it arrives.
   */
  function plan(
    ctx: FakeRequestContext,
    current: FakeBehavior,
    parsed: boolean,
    presentedKey: string | undefined,
  ): { immediate: boolean; run: (res: http.ServerResponse) => Outcome } {
    const { format } = ctx;
    const extra = current.headers ?? {};
    const limitHeaders = (headroom: Headroom | undefined): Record<string, string> =>
      headroom !== undefined && (current.rateLimitHeaders ?? current.limits !== undefined) ? rateLimitHeaders(headroom) : {};
    if (!parsed) {
      return {
        immediate: true,
        run: (res) => {
          send(res, 400, errorBody(format, 400, 'fake provider: the request body is not JSON'), extra);
          return { outcome: 'error', status: 400 };
        },
      };
    }
    if (current.apiKey !== undefined && presentedKey !== current.apiKey) {
      return { immediate: true, run: (res) => sendFault(ctx, { kind: 'auth' }, null, { ...extra }, res) };
    }
    if (current.maxConcurrent !== undefined && serving >= current.maxConcurrent) {
      capacityRejections += 1;
      const message = `fake provider: overloaded, ${current.maxConcurrent} requests already in progress`;
      return { immediate: true, run: (res) => sendFault(ctx, { kind: 'server', status: 503, message }, null, { ...extra }, res) };
    }
    const fault = typeof current.fault === 'function' ? current.fault(ctx) : current.fault;
    const text = typeof current.reply === 'function' ? current.reply(ctx) : (current.reply ?? DEFAULT_FAKE_REPLY);
    const usage = usageFor(ctx, current, text);
    if (fault !== undefined) {
      return { immediate: false, run: (res) => sendFault(ctx, fault, usage, { ...limitHeaders(limiter?.headroom()), ...extra }, res) };
    }
    let headroom: Headroom | undefined;
    if (limiter !== undefined) {
      const tokens = usage === null ? 0 : usage.prompt + usage.output + (usage.thoughts ?? 0);
      const admission = limiter.admit(tokens);
      headroom = admission.headroom;
      if (!admission.ok) {
        limiterRejections += 1;
        const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
        const limit = admission.limit === 'requests' ? current.limits?.rpm : current.limits?.tpm;
        const message = `fake provider: ${admission.limit} per minute limit reached (limit ${limit}), retry in ${seconds}s`;
        const details = format === 'gemini' ? [quotaFailure(`${admission.limit}_per_minute`), retryInfo(seconds * 1000)] : [];
        const headers = { 'retry-after': String(seconds), ...limitHeaders(admission.headroom), ...extra };
        return {
          immediate: true,
          run: (res) => {
            send(res, 429, errorBody(format, 429, message, details), headers);
            return { outcome: 'rate_limited', status: 429 };
          },
        };
      }
    }
    const finish =
      typeof current.finishReason === 'function' ? current.finishReason(ctx) : (current.finishReason ?? defaultFinishReason(format));
    return {
      immediate: false,
      run: (res) => {
        send(res, 200, successBody(format, ctx.model, text, usage, finish), { ...limitHeaders(headroom), ...extra });
        const record = requests[ctx.index];
        if (record !== undefined && usage !== null) record.usage = usage;
        return { outcome: 'ok', status: 200 };
      },
    };
  }

  function sendFault(
    ctx: FakeRequestContext,
    fault: FakeFault,
    usage: FakeUsage | null,
    headers: Record<string, string>,
    res: http.ServerResponse,
  ): { outcome: RequestOutcome; status?: number } {
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
        const details = format === 'gemini' ? [quotaFailure('generate_content_requests_per_minute'), retryInfo(retryAfterMs)] : [];
        send(res, 429, errorBody(format, 429, 'fake provider: rate limit reached (injected)', details), {
          ...headers,
          ...retryHeader,
          ...(fault.headers ?? {}),
        });
        return { outcome: 'rate_limited', status: 429 };
      }
      case 'server': {
        const status = fault.status ?? 500;
        send(res, status, errorBody(format, status, fault.message ?? 'fake provider: internal error (injected)'), headers);
        return { outcome: 'error', status };
      }
      case 'status': {
        send(res, fault.status, fault.body ?? errorBody(format, fault.status, `fake provider: HTTP ${fault.status} (injected)`), {
          ...headers,
          ...(fault.headers ?? {}),
        });
        return { outcome: fault.status === 429 ? 'rate_limited' : fault.status < 400 ? 'ok' : 'error', status: fault.status };
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
        const body = fault.body ?? (format === 'gemini' ? '{"candidates": [{"content": {"parts": [{"te' : '{"choices": [{"mess');
        res.writeHead(200, { 'content-type': fault.contentType ?? 'application/json', ...headers });
        res.end(body);
        return { outcome: 'malformed', status: 200 };
      }
      case 'blocked': {
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

  function usageFor(ctx: FakeRequestContext, current: FakeBehavior, text: string): FakeUsage | null {
    if (typeof current.usage === 'function') return current.usage(ctx, text);
    if (current.usage !== undefined) return current.usage;
    const promptText = ctx.system + ctx.messages.map((message) => message.text).join('');
    return { prompt: estimateTokens(promptText), output: estimateTokens(text) };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wantedPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setBehavior(patch) {
      const limitsChanged = 'limits' in patch;
      behavior = { ...behavior, ...patch };
      if (limitsChanged) limiter = behavior.limits === undefined ? undefined : new WindowLimiter(behavior.limits);
    },
    stats() {
      let ok = 0;
      let rateLimited = 0;
      let errors = 0;
      let tokens = 0;
      for (const request of requests) {
        if (request.outcome === 'ok') ok += 1;
        else if (request.outcome === 'rate_limited') rateLimited += 1;
        else if (request.outcome !== 'pending' && request.outcome !== 'aborted') errors += 1;
        if (request.usage !== undefined) tokens += request.usage.prompt + request.usage.output + (request.usage.thoughts ?? 0);
      }
      return { requests: requests.length, ok, rateLimited, limiterRejections, capacityRejections, maxServing, errors, inFlight, maxInFlight, tokens };
    },
    headroom() {
      return limiter?.headroom() ?? {};
    },
    async close() {
      closing = true;
      for (const [res, markHung] of hung) {
        markHung();
        res.destroy();
      }
      hung.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function presentedApiKey(req: http.IncomingMessage, url: URL): string | undefined {
  const bearer = req.headers.authorization;
  if (typeof bearer === 'string' && bearer.trim() !== '') return bearer.replace(/^Bearer\s+/i, '');
  for (const name of ['x-goog-api-key', 'api-key']) {
    const value = req.headers[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return url.searchParams.get('key') ?? undefined;
}

function rateLimitHeaders(headroom: Headroom): Record<string, string> {
  const headers: Record<string, string> = {};
  if (headroom.limitRequests !== undefined) headers['x-ratelimit-limit-requests'] = String(headroom.limitRequests);
  if (headroom.remainingRequests !== undefined) headers['x-ratelimit-remaining-requests'] = String(headroom.remainingRequests);
  if (headroom.resetRequestsMs !== undefined) headers['x-ratelimit-reset-requests'] = goDuration(headroom.resetRequestsMs);
  if (headroom.limitTokens !== undefined) headers['x-ratelimit-limit-tokens'] = String(headroom.limitTokens);
  if (headroom.remainingTokens !== undefined) headers['x-ratelimit-remaining-tokens'] = String(headroom.remainingTokens);
  if (headroom.resetTokensMs !== undefined) headers['x-ratelimit-reset-tokens'] = goDuration(headroom.resetTokensMs);
  return headers;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}
