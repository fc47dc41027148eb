import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../fakes/fake-provider.js';
import { createOpenAIDriver, toWire } from '../../../drivers/llm/openai.js';
import { initialCap } from '../../../drivers/llm/openai-max-tokens.js';
import { param } from '../../../sys/param.js';
import { ProviderError } from '../../../drivers/llm/provider-error.js';
import type { ModelDriver, ModelRequest } from '../../../drivers/llm/types.js';
import { splitModel } from '../../../drivers/llm/model-name.js';
import { ModelRegistry } from '../../../drivers/llm/registry.js';
import { deadlinesOf } from '../../../sys/model-limits.js';
import { refusedPort } from '../../helpers/refused-port.js';

const KEY = 'sk-test-0123456789abcdefSECRET';

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});

afterAll(async () => {
  await fake.close();
});

afterEach(() => {
  fake.requests.length = 0;
  fake.setBehavior({
    fault: undefined,
    latencyMs: undefined,
    reply: undefined,
    usage: undefined,
    finishReason: undefined,
    limits: undefined,
    headers: undefined,
    apiKey: undefined,
  });
});

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    system: 'You are process 7.',
    messages: [
      { role: 'user', text: 'Task: count' },
      { role: 'model', text: 'one [SYS_CALL::SYS_SLEEP] {"ms":1}' },
      { role: 'user', text: '[SYS_RESULT] ok' },
    ],
    proc: { pid: 7, name: 'root', turn: 1 },
    signal: new AbortController().signal,
    ...overrides,
  };
}

function driver(options: { timeoutMs?: number; model?: string; apiKey?: string; baseUrl?: string } = {}): ModelDriver {
  return createOpenAIDriver({
    model: options.model ?? 'llama3.1:8b',
    baseUrl: options.baseUrl ?? `${fake.url}/v1`,
    deadlines: deadlinesOf({ openai: { reply_s: (options.timeoutMs ?? 5000) / 1000 } }, 'openai'),
    env: {},
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
  });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

function expectNoKey(error: unknown): void {
  const err = error as Error & { cause?: unknown };
  for (const text of [
    err.message,
    String(err),
    err.stack ?? '',
    JSON.stringify(err),
    JSON.stringify(err.cause ?? null),
  ]) {
    expect(text).not.toContain(KEY);
  }
}

describe('openai driver: the wire', () => {
  it('POSTs /chat/completions with system + user/assistant messages, model verbatim, stream false', async () => {
    fake.setBehavior({ apiKey: KEY, usage: { prompt: 200, output: 12, cached: 150 }, reply: 'two' });
    const reply = await driver({ apiKey: KEY }).complete(request());
    expect(reply).toEqual({ text: 'two', usage: { prompt: 200, output: 12, cached: 150 }, finishReason: 'stop' });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.auth).toBe(true); // the fake required KEY as a Bearer token
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'llama3.1:8b',
      messages: [
        { role: 'system', content: 'You are process 7.' },
        { role: 'user', content: 'Task: count' },
        { role: 'assistant', content: 'one [SYS_CALL::SYS_SLEEP] {"ms":1}' },
        { role: 'user', content: '[SYS_RESULT] ok' },
      ],
      stream: false,
      // The reply's bound always goes with it (a budget counts on it): the kernel's default here.
      max_tokens: param.modelMaxOutputTokens,
    });
  });

  it("carries the request's reply bound; asks again with the field or the size a server says it takes", async () => {
    await driver().complete(request({ maxOutputTokens: 300 }));
    expect((fake.requests[0]!.body as Record<string, unknown>).max_tokens).toBe(300);
    // A reasoning model behind a compatible server: max_tokens refused, max_completion_tokens named.
    const unsupported =
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
    fake.setBehavior({
      fault: (ctx) =>
        (ctx.body as Record<string, unknown>).max_tokens !== undefined
          ? { kind: 'status', status: 400, body: { error: { message: unsupported, param: 'max_tokens' } } }
          : undefined,
    });
    const d = driver();
    expect((await d.complete(request())).text).toBeDefined();
    expect((fake.requests.at(-1)!.body as Record<string, unknown>).max_completion_tokens).toBe(
      param.modelMaxOutputTokens,
    );
    // Remembered: the next request goes with max_completion_tokens at once.
    const before = fake.requests.length;
    await d.complete(request());
    expect(fake.requests.length - before).toBe(1);
    // A model that takes fewer: its maximum, from then on.
    const tooLarge =
      'max_tokens is too large: 8192. This model supports at most 4096 completion tokens, whereas you provided 8192.';
    fake.setBehavior({
      fault: (ctx) =>
        ((ctx.body as Record<string, number>).max_tokens ?? 0) > 4_096
          ? { kind: 'status', status: 400, body: { error: { message: tooLarge } } }
          : undefined,
    });
    await driver().complete(request());
    expect((fake.requests.at(-1)!.body as Record<string, unknown>).max_tokens).toBe(4_096);
    // OpenAI itself is sent max_completion_tokens from the start.
    expect(toWire('gpt-4o', request(), false, initialCap('https://api.openai.com/v1'))).toMatchObject({
      max_completion_tokens: param.modelMaxOutputTokens,
    });
    expect(toWire('gpt-4o', request(), false, initialCap('https://api.openai.com/v1'))).not.toHaveProperty(
      'max_tokens',
    );
  });

  it('sends no Authorization header without a key; omits an empty system prompt', async () => {
    await driver().complete(request({ system: '' }));
    const sent = fake.requests[0]!;
    expect(sent.auth).toBe(false);
    expect((sent.body as { messages: Array<{ role: string }> }).messages[0]!.role).toBe('user');
  });

  it('reasoning tokens are already in completion_tokens; no usage when none came', async () => {
    fake.setBehavior({ usage: { prompt: 10, output: 4, thoughts: 6 } });
    expect((await driver().complete(request())).usage).toEqual({ prompt: 10, output: 10 });
    fake.setBehavior({ usage: null });
    expect((await driver().complete(request())).usage).toBeUndefined();
  });

  it('surfaces finish_reason (length)', async () => {
    fake.setBehavior({ finishReason: 'length' });
    expect((await driver().complete(request())).finishReason).toBe('length');
  });

  it('surfaces x-ratelimit-* headers of a successful reply', async () => {
    fake.setBehavior({ limits: { rpm: 3, tpm: 1000 }, usage: { prompt: 50, output: 50 } });
    const first = await driver().complete(request());
    const second = await driver().complete(request());
    expect(first.rateLimit).toMatchObject({
      limitRequests: 3,
      remainingRequests: 2,
      limitTokens: 1000,
      remainingTokens: 900,
    });
    expect(second.rateLimit).toMatchObject({ remainingRequests: 1, remainingTokens: 800 });
    expect(second.rateLimit?.resetTokensMs).toBeGreaterThan(50_000);
  });

  it('speaks to /chat/completions under any base path (no /v1)', async () => {
    await driver({ baseUrl: `${fake.url}/` }).complete(request());
    expect(fake.requests[0]!.path).toBe('/chat/completions');
  });
});

describe('openai driver: base URL and model names', () => {
  it('splitModel splits on the first colon only, so openai:llama3.1:8b reaches the server as llama3.1:8b', async () => {
    expect(splitModel('openai:llama3.1:8b')).toEqual({ provider: 'openai', name: 'llama3.1:8b' });
    const registry = new ModelRegistry({
      env: { OPENAI_BASE_URL: `${fake.url}/v1` },
      limits: { openai: { reply_s: 5 } },
    });
    const model = await registry.get('openai:llama3.1:8b');
    expect(model.id).toBe('openai:llama3.1:8b');
    await model.complete(request());
    expect(fake.requests[0]!.model).toBe('llama3.1:8b');
    expect(fake.requests[0]!.auth).toBe(false);
  });

  it('the registry passes OPENAI_API_KEY as a Bearer token', async () => {
    fake.setBehavior({ apiKey: KEY });
    const registry = new ModelRegistry({ env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: KEY } });
    await (await registry.get('openai:gpt-4o-mini')).complete(request());
    expect(fake.requests[0]).toMatchObject({ auth: true, outcome: 'ok' });
  });
});

describe('openai driver: failures are typed ProviderErrors, one attempt each', () => {
  it('429 with Retry-After and rate-limit headers → rate_limit with retryAfterMs and headroom', async () => {
    fake.setBehavior({
      fault: {
        kind: 'rate_limit',
        retryAfterMs: 20_000,
        headers: {
          'x-ratelimit-limit-requests': '500',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '6m0s',
          'x-ratelimit-remaining-tokens': '1200',
          'x-ratelimit-reset-tokens': '20ms',
        },
      },
    });
    const error = await failure(driver().complete(request()));
    expect(error).toMatchObject({ kind: 'rate_limit', status: 429, retryAfterMs: 20_000, retryable: true });
    expect(error.rateLimit).toEqual({
      limitRequests: 500,
      remainingRequests: 0,
      resetRequestsMs: 360_000,
      remainingTokens: 1200,
      resetTokensMs: 20,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('retry-after-ms wins over retry-after', async () => {
    fake.setBehavior({ fault: { kind: 'rate_limit', retryAfterMs: 2000, headers: { 'retry-after-ms': '1500' } } });
    expect((await failure(driver().complete(request()))).retryAfterMs).toBe(1500);
  });

  it('the built-in tpm limiter answers 429 once the window is spent', async () => {
    fake.setBehavior({ limits: { tpm: 100 }, usage: { prompt: 60, output: 30 } });
    await driver().complete(request());
    const error = await failure(driver().complete(request()));
    expect(error.kind).toBe('rate_limit');
    expect(error.rateLimit).toMatchObject({ limitTokens: 100, remainingTokens: 10 });
    expect(error.message).toContain('tokens per minute');
  });

  it('500 and 503 → server, retryable', async () => {
    fake.setBehavior({ fault: { kind: 'server' } });
    expect(await failure(driver().complete(request()))).toMatchObject({ kind: 'server', status: 500, retryable: true });
    fake.setBehavior({ fault: { kind: 'server', status: 503, message: 'overloaded' } });
    const error = await failure(driver().complete(request()));
    expect(error).toMatchObject({ kind: 'server', status: 503 });
    expect(error.message).toBe('openai:llama3.1:8b: server error (HTTP 503): overloaded');
  });

  it('a hung request rejects promptly when the caller aborts', async () => {
    fake.setBehavior({ fault: { kind: 'hang' } });
    const controller = new AbortController();
    const pending = driver({ timeoutMs: 60_000 }).complete(request({ signal: controller.signal }));
    await waitFor(() => fake.requests.length === 1);
    const reason = new Error('process killed');
    controller.abort(reason);
    // The caller's reason is what it rejects with: the abort ended it, not the 60 s deadline (nor the
    // hang: it never answers). Not timed: a bound by the clock measured the machine.
    await expect(pending).rejects.toBe(reason);
  });

  it('no answer within reply_s from a server that is there → timeout, retryable, naming the address and the setting', async () => {
    fake.setBehavior({ fault: { kind: 'hang' } });
    const error = await failure(driver({ timeoutMs: 150 }).complete(request()));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true, endpoint: `${fake.url}/v1` });
    expect(error.message).toBe(
      `openai:llama3.1:8b: no whole answer from ${fake.url}/v1 within 0.15 s (AOS_LIMITS openai reply_s)`,
    );
    expect(error.errno).toBe('ETIMEDOUT');
  });

  it('malformed JSON → malformed; JSON of the wrong shape → malformed', async () => {
    fake.setBehavior({ fault: { kind: 'malformed' } });
    expect(await failure(driver().complete(request()))).toMatchObject({ kind: 'malformed', retryable: true });
    fake.setBehavior({ fault: { kind: 'status', status: 200, body: { choices: [] } } });
    const error = await failure(driver().complete(request()));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('choices');
  });

  it('a 200 carrying {error} (some compatible servers) → server', async () => {
    fake.setBehavior({ fault: { kind: 'status', status: 200, body: { error: { message: 'model is loading' } } } });
    const error = await failure(driver().complete(request()));
    expect(error.kind).toBe('server');
    expect(error.message).toContain('model is loading');
  });

  it('content_filter with no content → blocked, not retryable', async () => {
    fake.setBehavior({ fault: { kind: 'blocked' } });
    expect(await failure(driver().complete(request()))).toMatchObject({
      kind: 'blocked',
      blockReason: 'content_filter',
      retryable: false,
    });
  });

  it('401 → auth, 400 → bad_request; neither retryable', async () => {
    fake.setBehavior({ apiKey: KEY });
    expect(await failure(driver({ apiKey: 'sk-wrong-key-000000' }).complete(request()))).toMatchObject({
      kind: 'auth',
      status: 401,
      retryable: false,
    });
    fake.setBehavior({ apiKey: undefined, fault: { kind: 'status', status: 400 } });
    expect(await failure(driver().complete(request()))).toMatchObject({ kind: 'bad_request', retryable: false });
  });

  it('connection refused → network, not retried, naming the address and the setting', async () => {
    const port = await refusedPort();
    const error = await failure(driver({ baseUrl: `http://127.0.0.1:${port}/v1` }).complete(request()));
    expect(error).toMatchObject({ kind: 'network', retryable: false });
    expect(error.message).toContain(`127.0.0.1:${port} refused the connection (ECONNREFUSED)`);
    expect(error.message).toContain('OPENAI_BASE_URL');
  });

  it('a base URL that redirects → bad_request naming where it points, not followed', async () => {
    const hits: string[] = [];
    const { url, close } = await tinyServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(308, { location: 'https://elsewhere.example/v1/chat/completions' }).end();
    });
    try {
      const error = await failure(driver({ baseUrl: `${url}/v1` }).complete(request()));
      expect(error).toMatchObject({ kind: 'bad_request', status: 308, retryable: false });
      expect(error.message).toContain('https://elsewhere.example/v1/chat/completions');
      expect(hits).toEqual(['POST /v1/chat/completions']);
    } finally {
      await close();
    }
  });

  it('a connection dropped in the middle of a reply → network, retryable', async () => {
    const { url, close } = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"choices":[');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const error = await failure(driver({ baseUrl: `${url}/v1` }).complete(request()));
      expect(error).toMatchObject({ kind: 'network', retryable: true });
    } finally {
      await close();
    }
  });

  it('calls reuse their connections (kept alive between turns)', async () => {
    const sockets = new Set<unknown>();
    const { url, close } = await tinyServer((req, res) => {
      sockets.add(req.socket);
      req.resume();
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ choices: [{ message: { content: 'ok' } }] })),
      );
    });
    try {
      const d = driver({ baseUrl: `${url}/v1` });
      for (let i = 0; i < 10; i++) expect((await d.complete(request())).text).toBe('ok');
      // undici hands a connection back to its pool a moment after the body ends: the next call may open a second one.
      expect(sockets.size).toBeLessThanOrEqual(2);
    } finally {
      await close();
    }
  });

  it('the key never appears in an error, even when the server echoes it', async () => {
    fake.setBehavior({
      fault: { kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } },
    });
    const error = await failure(driver({ apiKey: KEY }).complete(request()));
    expect(error.kind).toBe('auth');
    expectNoKey(error);
    fake.setBehavior({ fault: { kind: 'malformed', body: `<html>${KEY}</html>` } });
    expectNoKey(await failure(driver({ apiKey: KEY }).complete(request())));
    fake.setBehavior({ fault: { kind: 'hang' } });
    expectNoKey(await failure(driver({ apiKey: KEY, timeoutMs: 100 }).complete(request())));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An HTTP server of the test's own, for replies the fake provider does not make. */
async function tinyServer(handle: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
