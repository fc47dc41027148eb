/**
 * A fake model provider on 127.0.0.1 speaking both wire formats, for tests and benchmarks:
 * - Gemini: `POST /v1beta/models/<m>:generateContent` (also `/v1/...`, `/v1alpha/...`), and
 *   `:streamGenerateContent` answered as server-sent events
 * - OpenAI: `POST /v1/chat/completions` and `POST /chat/completions`, streamed with `stream: true`
 *
 * Configurable per server (and changeable live with `setBehavior`): latency, reply text, usage
 * figures, finish reason, faults (429 with Retry-After and rate-limit headers, 5xx, any status,
 * malformed JSON, safety blocks, hangs, connection resets), a required API key, and a built-in
 * sliding-window limiter (`rpm`, `tpm` counting reported usage) answering 429 + Retry-After, and
 * a capacity (`maxConcurrent`) past which it answers 503 at once, as a server out of slots does.
 * Every request is recorded with its parsed body, headers (auth values never kept: only whether
 * an auth header was present) and timestamps — or only counted, with `record: false` (a benchmark's
 * server). Dependency-free: node:http only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from './fake-provider/answer.js';
import { WindowLimiter } from './fake-provider/limiter.js';
import { plan, type ServerState } from './fake-provider/plan.js';
import type {
  FakeBehavior,
  FakeProvider,
  FakeProviderOptions,
  FakeRequestContext,
  RecordedRequest,
  RequestOutcome,
} from './fake-provider/types.js';
import { type FakeUsage, readPrompt, route } from './fake-provider/wire.js';

export type { Headroom, RateLimits } from './fake-provider/limiter.js';
export type { FakeMessage, FakeUsage, WireFormat } from './fake-provider/wire.js';
export {
  DEFAULT_FAKE_REPLY,
  type FakeBehavior,
  type FakeFault,
  type FakeProvider,
  type FakeProviderOptions,
  type FakeProviderStats,
  type FakeRequestContext,
  type RecordedRequest,
  type RequestOutcome,
} from './fake-provider/types.js';

/** Connections waiting to be accepted (the kernel caps it at net.core.somaxconn). */
export const LISTEN_BACKLOG = 8192;

const AUTH_HEADERS = new Set(['authorization', 'x-goog-api-key', 'api-key', 'cookie', 'proxy-authorization']);

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const { port: wantedPort = 0, record: keepRecords = true, ...initial } = options;
  let behavior: FakeBehavior = { ...initial };
  const requests: RecordedRequest[] = [];
  const state: ServerState = {
    limiter: behavior.limits === undefined ? undefined : new WindowLimiter(behavior.limits),
    received: 0,
    ok: 0,
    rateLimited: 0,
    errors: 0,
    tokens: 0,
    inFlight: 0,
    maxInFlight: 0,
    serving: 0,
    maxServing: 0,
    limiterRejections: 0,
    capacityRejections: 0,
    closing: false,
  };
  /** Hanging answers, with how to record them as such when the server closes. */
  const hung = new Map<http.ServerResponse, () => void>();

  const server = http.createServer((req, res) => {
    let rawBody = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (rawBody += chunk));
    req.on('end', () => handle(req, res, rawBody));
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
    // Only a record shows the headers: a server that keeps none copies none.
    const headers = keepRecords ? recordedHeaders(req) : {};
    const presentedKey = presentedApiKey(req, url);
    const record: RecordedRequest = {
      index: state.received++,
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
    // A server that only counts keeps no request past its answer: thousands of bodies held would
    // make the fake's garbage collector, not the client, what a benchmark measures.
    if (keepRecords) requests.push(record);
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    let settled = false;
    let isServing = false;
    const settle = (outcome: RequestOutcome, status?: number, usage?: FakeUsage): void => {
      if (settled) return;
      settled = true;
      state.inFlight -= 1;
      if (isServing) state.serving -= 1;
      count(state, outcome, usage);
      record.outcome = outcome;
      record.respondedAt = Date.now();
      if (status !== undefined) record.status = status;
      if (usage !== undefined) record.usage = usage;
    };
    res.on('close', () => {
      hung.delete(res);
      if (!settled) settle(state.closing ? 'hang' : 'aborted');
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
    const ctx: FakeRequestContext = {
      index: record.index,
      format: routed.format,
      model: routed.model,
      path: url.pathname,
      body,
      stream: routed.stream,
      ...prompt,
    };
    const current = behavior;
    const { immediate, run } = plan(state, ctx, current, parsed, presentedKey);
    if (!immediate) {
      state.serving += 1;
      state.maxServing = Math.max(state.maxServing, state.serving);
      isServing = true;
    }
    const answer = (): void => {
      if (settled || res.destroyed) return;
      const result = run(res);
      if (result.outcome === 'hang') {
        hung.set(res, () => settle('hang'));
        return;
      }
      settle(result.outcome, result.status, result.usage);
    };
    const latency = immediate
      ? 0
      : typeof current.latencyMs === 'function'
        ? current.latencyMs(ctx)
        : (current.latencyMs ?? 0);
    if (latency > 0) {
      const timer = setTimeout(answer, latency);
      res.on('close', () => clearTimeout(timer));
    } else {
      answer();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A thousand agents connect at once: Node's default backlog (511) would drop the rest's SYNs, and
    // each dropped one waits out TCP's 1 s retransmit — a wait in the fake, not in the client it serves.
    server.listen({ port: wantedPort, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, () => {
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
      if (limitsChanged) state.limiter = behavior.limits === undefined ? undefined : new WindowLimiter(behavior.limits);
    },
    stats() {
      const { received, ok, rateLimited, errors, tokens, limiterRejections, capacityRejections } = state;
      const { maxServing, inFlight, maxInFlight } = state;
      return {
        requests: received,
        ok,
        rateLimited,
        limiterRejections,
        capacityRejections,
        maxServing,
        errors,
        inFlight,
        maxInFlight,
        tokens,
      };
    },
    headroom() {
      return state.limiter?.headroom() ?? {};
    },
    reset() {
      if (state.inFlight > 0) throw new Error(`fake provider: reset with ${state.inFlight} request(s) in flight`);
      requests.length = 0;
      Object.assign(state, { received: 0, ok: 0, rateLimited: 0, errors: 0, tokens: 0 });
      state.maxInFlight = 0;
      state.maxServing = 0;
      state.limiterRejections = 0;
      state.capacityRejections = 0;
    },
    async close() {
      state.closing = true;
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

/** The request's headers as recorded: auth values never kept (only whether an auth header was present). */
function recordedHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!AUTH_HEADERS.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** A settled request counted as stats() reports it: a client's abort is neither a success nor an error. */
function count(state: ServerState, outcome: RequestOutcome, usage: FakeUsage | undefined): void {
  if (outcome === 'ok') state.ok += 1;
  else if (outcome === 'rate_limited') state.rateLimited += 1;
  else if (outcome !== 'aborted' && outcome !== 'pending') state.errors += 1;
  if (usage !== undefined) state.tokens += usage.prompt + usage.output + (usage.thoughts ?? 0);
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
