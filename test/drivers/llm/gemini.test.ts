import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../fakes/fake-provider.js';
import { AosError } from '../../../sys/errno.js';
import { param } from '../../../sys/param.js';
import { createGeminiDriver, splitGeminiBaseUrl } from '../../../drivers/llm/gemini.js';
import { ProviderError } from '../../../drivers/llm/provider-error.js';
import type { ModelDriver, ModelRequest } from '../../../drivers/llm/types.js';
import { PROVIDERS } from '../../../drivers/llm/providers.js';
import { ModelRegistry } from '../../../drivers/llm/registry.js';
import { deadlinesOf } from '../../../sys/model-limits.js';
import { refusedPort } from '../../helpers/refused-port.js';

const MODEL = 'gemini-2.5-flash';

const KEY = 'AIzaSyFAKE-test-key-0123456789abcdef';

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider({ apiKey: KEY });
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
    apiKey: KEY,
  });
});

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    system: 'You are process 1.',
    messages: [
      { role: 'user', text: 'Task: say hi' },
      { role: 'model', text: 'hi [SYS_CALL::SYS_SLEEP] {"ms":1}' },
      { role: 'user', text: '[SYS_RESULT] ok' },
    ],
    proc: { pid: 1, name: 'root', turn: 1 },
    signal: new AbortController().signal,
    ...overrides,
  };
}

function driver(options: { timeoutMs?: number; model?: string; apiKey?: string; baseUrl?: string } = {}): ModelDriver {
  return createGeminiDriver({
    model: options.model ?? MODEL,
    apiKey: options.apiKey ?? KEY,
    baseUrl: options.baseUrl ?? fake.url,
    deadlines: deadlinesOf({ gemini: { reply_s: (options.timeoutMs ?? 5000) / 1000 } }, 'gemini'),
    env: {},
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

/** Every way an error can be shown must be free of the key. */
function expectNoKey(error: unknown): void {
  const err = error as Error & { cause?: unknown };
  const texts = [err.message, String(err), err.stack ?? '', JSON.stringify(err), JSON.stringify(err.cause ?? null)];
  for (const text of texts) expect(text).not.toContain(KEY);
}

describe('gemini driver: the wire', () => {
  it('sends system + multi-turn contents in the Gemini shape, key in x-goog-api-key', async () => {
    fake.setBehavior({ usage: { prompt: 120, output: 7, cached: 100, thoughts: 30 }, reply: 'hello there' });
    const reply = await driver().complete(request());
    expect(reply.text).toBe('hello there');
    expect(reply.finishReason).toBe('STOP');
    // prompt includes cached; output = candidates + thoughts
    expect(reply.usage).toEqual({ prompt: 120, output: 37, cached: 100 });
    expect(reply.rateLimit).toBeUndefined();

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.auth).toBe(true); // the fake requires KEY, so it was the right one
    expect(sent.headers['x-goog-api-key']).toBeUndefined(); // never recorded
    expect(sent.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Task: say hi' }] },
        { role: 'model', parts: [{ text: 'hi [SYS_CALL::SYS_SLEEP] {"ms":1}' }] },
        { role: 'user', parts: [{ text: '[SYS_RESULT] ok' }] },
      ],
      systemInstruction: { parts: [{ text: 'You are process 1.' }] },
      // The reply's bound always goes with it (a budget counts on it): the kernel's default here.
      generationConfig: { maxOutputTokens: param.modelMaxOutputTokens },
    });
    expect(sent.headers['content-type']).toBe('application/json');
  });

  it('omits systemInstruction for an empty system prompt and reports no usage when none came', async () => {
    fake.setBehavior({ usage: null });
    const reply = await driver().complete(request({ system: '' }));
    expect(reply.usage).toBeUndefined();
    expect((fake.requests[0]!.body as Record<string, unknown>).systemInstruction).toBeUndefined();
  });

  it('surfaces finish reasons (MAX_TOKENS) and leaves thought parts out of the text', async () => {
    fake.setBehavior({ finishReason: 'MAX_TOKENS' });
    expect((await driver().complete(request())).finishReason).toBe('MAX_TOKENS');
    fake.setBehavior({
      fault: {
        kind: 'status',
        status: 200,
        body: {
          candidates: [
            {
              content: { role: 'model', parts: [{ text: 'pondering...', thought: true }, { text: 'the answer' }] },
              finishReason: 'STOP',
            },
          ],
          usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, thoughtsTokenCount: 9 },
        },
      },
    });
    const reply = await driver().complete(request());
    expect(reply.text).toBe('the answer');
    expect(reply.usage).toEqual({ prompt: 5, output: 11 });
  });

  it('surfaces x-ratelimit-* headers of a successful reply', async () => {
    fake.setBehavior({ limits: { rpm: 10, tpm: 10_000 }, usage: { prompt: 100, output: 20 } });
    const reply = await driver().complete(request());
    expect(reply.rateLimit).toMatchObject({
      limitRequests: 10,
      remainingRequests: 9,
      limitTokens: 10_000,
      remainingTokens: 9880,
    });
    expect(reply.rateLimit?.resetRequestsMs).toBeGreaterThan(50_000);
    expect(reply.rateLimit?.resetRequestsMs).toBeLessThanOrEqual(60_000);
  });

  it('accepts a base URL that already ends in an API version, and GEMINI_BASE_URL', async () => {
    expect(splitGeminiBaseUrl('http://h:1/v1/')).toEqual({ baseUrl: 'http://h:1', apiVersion: 'v1' });
    expect(splitGeminiBaseUrl('http://h:1/proxy')).toEqual({ baseUrl: 'http://h:1/proxy' });
    await driver({ baseUrl: `${fake.url}/v1` }).complete(request());
    expect(fake.requests[0]!.path).toBe('/v1/models/gemini-2.5-flash:generateContent');
    const fromEnv = createGeminiDriver({
      model: 'gemini-2.5-pro',
      env: { GEMINI_BASE_URL: fake.url, GEMINI_API_KEY: KEY },
    });
    expect(fromEnv.id).toBe('gemini:gemini-2.5-pro');
    await fromEnv.complete(request());
    expect(fake.requests[1]!.path).toBe('/v1beta/models/gemini-2.5-pro:generateContent');
  });
});

describe('gemini driver: failures are typed ProviderErrors, one attempt each', () => {
  it('429 with Retry-After → rate_limit with retryAfterMs, retryable, one request only', async () => {
    fake.setBehavior({ fault: { kind: 'rate_limit', retryAfterMs: 13_000 } });
    const error = await failure(driver().complete(request()));
    expect(error.kind).toBe('rate_limit');
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(13_000);
    expect(error.retryable).toBe(true);
    expect(error.errno).toBe('EAGAIN');
    expect(error.message).toMatch(/^gemini:gemini-2\.5-flash: rate limited \(HTTP 429\), retry after 13000 ms/);
    expect(fake.requests).toHaveLength(1); // the SDK did not retry
  });

  it('Retry-After (a header) wins over the body’s RetryInfo', async () => {
    fake.setBehavior({ fault: { kind: 'rate_limit', retryAfterMs: 13_000, headers: { 'retry-after': '9' } } });
    expect((await failure(driver().complete(request()))).retryAfterMs).toBe(9000);
  });

  it("429 without Retry-After: the delay comes from the body's google.rpc.RetryInfo", async () => {
    fake.setBehavior({ fault: { kind: 'rate_limit', retryAfterMs: 7000, retryAfter: 'none' } });
    const error = await failure(driver().complete(request()));
    expect(error.kind).toBe('rate_limit');
    expect(error.retryAfterMs).toBe(7000);
  });

  it('429 with Retry-After as an HTTP date', async () => {
    fake.setBehavior({ fault: { kind: 'rate_limit', retryAfterMs: 30_000, retryAfter: 'date' } });
    const error = await failure(driver().complete(request()));
    // HTTP dates have 1 s resolution
    expect(error.retryAfterMs).toBeGreaterThan(27_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('the built-in limiter 429 carries rate-limit headroom on the error', async () => {
    fake.setBehavior({ limits: { rpm: 1 } });
    await driver().complete(request());
    const error = await failure(driver().complete(request()));
    expect(error.kind).toBe('rate_limit');
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.rateLimit).toMatchObject({ limitRequests: 1, remainingRequests: 0 });
  });

  it('500 and 503 → server, retryable, one request each', async () => {
    fake.setBehavior({ fault: { kind: 'server' } });
    const error = await failure(driver().complete(request()));
    expect(error).toMatchObject({ kind: 'server', status: 500, retryable: true });
    expect(error.message).toContain('internal error (injected)');
    fake.setBehavior({ fault: { kind: 'server', status: 503 } });
    expect(await failure(driver().complete(request()))).toMatchObject({ kind: 'server', status: 503 });
    expect(fake.requests).toHaveLength(2);
  });

  it('a non-JSON error page (proxy 502) is still a server error', async () => {
    fake.setBehavior({
      fault: {
        kind: 'status',
        status: 502,
        body: '<html>Bad Gateway</html>',
        headers: { 'content-type': 'text/html' },
      },
    });
    const error = await failure(driver().complete(request()));
    expect(error).toMatchObject({ kind: 'server', status: 502 });
    expect(error.message).toContain('Bad Gateway');
  });

  it('a hung request rejects promptly when the caller aborts, with the caller’s reason', async () => {
    fake.setBehavior({ fault: { kind: 'hang' } });
    const controller = new AbortController();
    const pending = driver({ timeoutMs: 60_000 }).complete(request({ signal: controller.signal }));
    await waitFor(() => fake.requests.length === 1);
    const reason = new Error('killed by test');
    controller.abort(reason);
    // The caller's reason is what it rejects with: the abort ended it, not the 60 s deadline (nor the
    // hang: it never answers). Not timed: a bound by the clock measured the machine.
    await expect(pending).rejects.toBe(reason);
    await waitFor(() => fake.requests[0]!.outcome === 'aborted');
  });

  it('an already aborted signal rejects without a request', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(driver().complete(request({ signal: controller.signal }))).rejects.toThrow('gone');
    expect(fake.requests).toHaveLength(0);
  });

  it('no answer within reply_s from a server that is there → timeout, retryable, naming the address and the setting', async () => {
    fake.setBehavior({ fault: { kind: 'hang' } });
    const started = Date.now();
    const error = await failure(driver({ timeoutMs: 200 }).complete(request()));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true, endpoint: fake.url });
    expect(error.message).toBe(
      `gemini:gemini-2.5-flash: no whole answer from ${fake.url} within 0.2 s (AOS_LIMITS gemini reply_s)`,
    );
    // Not before its deadline; not much after is the test's own timeout (a hang never answers).
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('a slow answer past the deadline is a timeout too', async () => {
    fake.setBehavior({ latencyMs: 2000 });
    expect((await failure(driver({ timeoutMs: 150 }).complete(request()))).kind).toBe('timeout');
  });

  it('malformed JSON → malformed, retryable', async () => {
    fake.setBehavior({ fault: { kind: 'malformed' } });
    const error = await failure(driver().complete(request()));
    expect(error).toMatchObject({ kind: 'malformed', status: 200, retryable: true });
  });

  it('JSON without candidates (and no block) → malformed', async () => {
    fake.setBehavior({ fault: { kind: 'status', status: 200, body: { usageMetadata: { promptTokenCount: 3 } } } });
    const error = await failure(driver().complete(request()));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('no candidates');
  });

  it('a prompt blocked by safety → blocked with the reason, not retryable', async () => {
    fake.setBehavior({ fault: { kind: 'blocked', stage: 'prompt', reason: 'PROHIBITED_CONTENT' } });
    const error = await failure(driver().complete(request()));
    expect(error).toMatchObject({ kind: 'blocked', blockReason: 'PROHIBITED_CONTENT', retryable: false });
    expect(error.message).toContain('the prompt was blocked (PROHIBITED_CONTENT)');
  });

  it('a candidate withheld for SAFETY with no text → blocked', async () => {
    fake.setBehavior({ fault: { kind: 'blocked', stage: 'reply' } });
    const error = await failure(driver().complete(request()));
    expect(error).toMatchObject({ kind: 'blocked', blockReason: 'SAFETY', retryable: false });
  });

  it('a SAFETY finish that still carries text is a reply, with its finish reason', async () => {
    fake.setBehavior({ finishReason: 'SAFETY', reply: 'partial' });
    expect(await driver().complete(request())).toMatchObject({ text: 'partial', finishReason: 'SAFETY' });
  });

  it("a wrong key (Gemini's 400 API_KEY_INVALID) → auth, not retryable; 401/403 too", async () => {
    const error = await failure(driver({ apiKey: 'AIzaSyWRONG-key-000000000000000000' }).complete(request()));
    expect(error).toMatchObject({ kind: 'auth', status: 400, retryable: false });
    expect(error.message).not.toContain('WRONG');
    fake.setBehavior({ fault: { kind: 'status', status: 401 } });
    expect(await failure(driver().complete(request()))).toMatchObject({ kind: 'auth', status: 401 });
    fake.setBehavior({ fault: { kind: 'status', status: 403 } });
    expect(await failure(driver().complete(request()))).toMatchObject({ kind: 'auth', status: 403 });
  });

  it('400 (e.g. unknown model) → bad_request, not retryable', async () => {
    fake.setBehavior({ fault: { kind: 'status', status: 400 } });
    expect(await failure(driver().complete(request()))).toMatchObject({
      kind: 'bad_request',
      status: 400,
      retryable: false,
    });
    fake.setBehavior({ fault: { kind: 'status', status: 404 } });
    expect(await failure(driver().complete(request()))).toMatchObject({ kind: 'bad_request', status: 404 });
  });

  it('connection refused → network, not retried, naming the address and the setting', async () => {
    const port = await refusedPort();
    const error = await failure(driver({ baseUrl: `http://127.0.0.1:${port}` }).complete(request()));
    expect(error).toMatchObject({ kind: 'network', retryable: false });
    expect(error.message).toContain(`127.0.0.1:${port} refused the connection (ECONNREFUSED)`);
    expect(error.message).toContain('GEMINI_BASE_URL');
  });

  it('a reset connection → network', async () => {
    fake.setBehavior({ fault: { kind: 'reset' } });
    expect((await failure(driver().complete(request()))).kind).toBe('network');
  });
});

describe('gemini driver: the key', () => {
  it('a missing key is an EINVAL at creation naming the variable to set', () => {
    let caught: unknown;
    try {
      createGeminiDriver({ model: MODEL, env: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AosError);
    expect((caught as AosError).code).toBe('EINVAL');
    expect((caught as AosError).message).toMatch(/set GEMINI_API_KEY \(or GOOGLE_API_KEY\)/);
  });

  it('takes GEMINI_API_KEY, else GOOGLE_API_KEY', async () => {
    const viaGoogle = createGeminiDriver({ model: MODEL, baseUrl: fake.url, env: { GOOGLE_API_KEY: KEY } });
    await expect(viaGoogle.complete(request())).resolves.toMatchObject({ text: expect.any(String) });
    const viaGemini = createGeminiDriver({
      model: MODEL,
      baseUrl: fake.url,
      env: { GEMINI_API_KEY: KEY, GOOGLE_API_KEY: 'other' },
    });
    await expect(viaGemini.complete(request())).resolves.toMatchObject({ text: expect.any(String) });
  });

  it('never appears in an error, even when the server echoes it back', async () => {
    const body = {
      error: { code: 400, message: `API key ${KEY} is not valid for this project`, status: 'INVALID_ARGUMENT' },
    };
    fake.setBehavior({ fault: { kind: 'status', status: 400, body } });
    const error = await failure(driver().complete(request()));
    expect(error.message).toContain('[redacted]');
    expectNoKey(error);

    fake.setBehavior({ fault: { kind: 'malformed', body: `not json ${KEY}` } });
    expectNoKey(await failure(driver().complete(request())));

    fake.setBehavior({ fault: { kind: 'rate_limit' } });
    expectNoKey(await failure(driver().complete(request())));

    const port = await refusedPort();
    expectNoKey(await failure(driver({ baseUrl: `http://127.0.0.1:${port}` }).complete(request())));

    fake.setBehavior({ fault: { kind: 'hang' } });
    expectNoKey(await failure(driver({ timeoutMs: 100 }).complete(request())));
  });
});

describe('model registry', () => {
  it('registers gemini: and openai:', async () => {
    expect(PROVIDERS.map((p) => p.name)).toEqual(expect.arrayContaining(['gemini', 'openai', 'replay']));
    const registry = new ModelRegistry({
      env: { GEMINI_API_KEY: KEY, GEMINI_BASE_URL: fake.url },
      limits: { gemini: { reply_s: 5 } },
    });
    const gemini = await registry.get('gemini:gemini-2.5-flash-lite');
    expect(gemini.id).toBe('gemini:gemini-2.5-flash-lite');
    await gemini.complete(request());
    // Found by its path, not as the first request: an earlier test's request can reach the fake late on a loaded machine.
    expect(fake.requests.map((r) => r.path)).toContain('/v1beta/models/gemini-2.5-flash-lite:generateContent');

    const keyless = new ModelRegistry({ env: {} });
    await expect(keyless.get('gemini:gemini-2.5-flash')).rejects.toThrow(/GEMINI_API_KEY/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
