import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import {
  DEFAULT_FAKE_REPLY,
  startFakeProvider,
  type FakeFault,
  type FakeProvider,
  type FakeProviderOptions,
} from './fake-provider.js';

const started: FakeProvider[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((fake) => fake.close()));
});

async function start(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const fake = await startFakeProvider(options);
  started.push(fake);
  return fake;
}

const geminiBody = {
  systemInstruction: { parts: [{ text: 'sys' }] },
  contents: [
    { role: 'user', parts: [{ text: 'hello' }] },
    { role: 'model', parts: [{ text: 'hi' }] },
    { role: 'user', parts: [{ text: 'again' }] },
  ],
};
const openaiBody = {
  model: 'qwen2.5:7b',
  messages: [
    { role: 'system', content: 'sys' },
    { role: 'user', content: 'hello' },
    { role: 'assistant', content: 'hi' },
    { role: 'user', content: 'again' },
  ],
  stream: false,
};

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: JSON.parse(text) as Record<string, unknown> };
}

const gemini = (fake: FakeProvider, model = 'gemini-2.5-flash', version = 'v1beta'): Promise<Answer> =>
  post(`${fake.url}/${version}/models/${model}:generateContent`, geminiBody);
const openai = (fake: FakeProvider, path = '/v1/chat/completions'): Promise<Answer> =>
  post(`${fake.url}${path}`, openaiBody);

describe('fake provider: both wire formats', () => {
  it('answers Gemini generateContent (v1beta and v1) with candidates and usageMetadata', async () => {
    const fake = await start({ usage: { prompt: 11, output: 3, cached: 4, thoughts: 2 } });
    const answer = await gemini(fake);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: DEFAULT_FAKE_REPLY }] }, finishReason: 'STOP' }],
      usageMetadata: {
        promptTokenCount: 11,
        candidatesTokenCount: 3,
        cachedContentTokenCount: 4,
        thoughtsTokenCount: 2,
        totalTokenCount: 16,
      },
      modelVersion: 'gemini-2.5-flash',
    });
    expect((await gemini(fake, 'gemini-2.0-flash', 'v1')).status).toBe(200);
    expect(fake.requests.map((request) => [request.format, request.model])).toEqual([
      ['gemini', 'gemini-2.5-flash'],
      ['gemini', 'gemini-2.0-flash'],
    ]);
  });

  it('answers OpenAI chat completions (/v1 and bare) with choices and usage', async () => {
    const fake = await start({ usage: { prompt: 11, output: 3, cached: 4, thoughts: 2 }, reply: 'ok' });
    const answer = await openai(fake);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      object: 'chat.completion',
      model: 'qwen2.5:7b',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 11,
        completion_tokens: 5,
        total_tokens: 16,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
    expect((await openai(fake, '/chat/completions')).status).toBe(200);
  });

  it('hands the reply function the request in neutral terms', async () => {
    const fake = await start({
      reply: (ctx) =>
        `${ctx.format}#${ctx.index} ${ctx.system} ${ctx.messages.map((m) => `${m.role}:${m.text}`).join('|')}`,
    });
    expect((await gemini(fake)).json).toMatchObject({
      candidates: [{ content: { parts: [{ text: 'gemini#0 sys user:hello|model:hi|user:again' }] } }],
    });
    expect((await openai(fake)).json).toMatchObject({
      choices: [{ message: { content: 'openai#1 sys user:hello|model:hi|user:again' } }],
    });
  });

  it('estimates usage by default (4 characters a token) and can report none', async () => {
    const fake = await start({ reply: '12345678' });
    expect((await openai(fake)).json.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 2 }); // 'syshellohiagain' = 15 chars
    fake.setBehavior({ usage: null });
    expect((await openai(fake)).json.usage).toBeUndefined();
    expect((await gemini(fake)).json.usageMetadata).toBeUndefined();
  });

  it('404s unknown routes and 400s bodies that are not JSON', async () => {
    const fake = await start();
    expect((await post(`${fake.url}/v1/embeddings`, {})).status).toBe(404);
    const response = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: '{nope' });
    expect(response.status).toBe(400);
    expect(fake.requests[1]).toMatchObject({ rawBody: '{nope', outcome: 'error', status: 400 });
  });
});

describe('fake provider: recording', () => {
  it('records body, path, headers and timestamps, but only whether auth was present', async () => {
    const fake = await start();
    const before = Date.now();
    await post(`${fake.url}/v1beta/models/m:generateContent?key=AIzaQUERYKEY`, geminiBody, {
      'x-goog-api-key': 'AIzaHEADERKEY',
      'x-trace': 't1',
    });
    await post(`${fake.url}/v1/chat/completions`, openaiBody, { authorization: 'Bearer sk-SECRET' });
    await post(`${fake.url}/v1/chat/completions`, openaiBody);
    const [first, second, third] = fake.requests;
    expect(first).toMatchObject({
      path: '/v1beta/models/m:generateContent',
      auth: true,
      body: geminiBody,
      outcome: 'ok',
      status: 200,
    });
    expect(first!.headers['x-trace']).toBe('t1');
    expect(first!.system).toBe('sys');
    expect(first!.messages).toHaveLength(3);
    expect(first!.receivedAt).toBeGreaterThanOrEqual(before);
    expect(first!.respondedAt).toBeGreaterThanOrEqual(first!.receivedAt);
    expect(second!.auth).toBe(true);
    expect(third!.auth).toBe(false);
    const recorded = JSON.stringify(fake.requests);
    for (const secret of ['AIzaQUERYKEY', 'AIzaHEADERKEY', 'sk-SECRET']) expect(recorded).not.toContain(secret);
  });

  it('requires the configured key: Gemini answers 400 API_KEY_INVALID, OpenAI 401', async () => {
    const fake = await start({ apiKey: 'right' });
    const g = await gemini(fake);
    expect(g.status).toBe(400);
    expect(JSON.stringify(g.json)).toContain('API_KEY_INVALID');
    expect((await openai(fake)).status).toBe(401);
    expect((await post(`${fake.url}/v1/chat/completions`, openaiBody, { authorization: 'Bearer right' })).status).toBe(
      200,
    );
  });
});

describe('fake provider: behaviours', () => {
  it('fixed and per-request latency', async () => {
    const fake = await start({ latencyMs: 120 });
    let t = Date.now();
    await openai(fake);
    expect(Date.now() - t).toBeGreaterThanOrEqual(110);
    // Request 1 gets no latency, any other 5 s: far enough apart that a loaded machine cannot blur them.
    fake.setBehavior({ latencyMs: (ctx) => (ctx.index === 1 ? 0 : 5000) });
    t = Date.now();
    await openai(fake);
    expect(Date.now() - t).toBeLessThan(2500);
  });

  it('injects 429 with Retry-After (seconds or date) and Gemini RetryInfo', async () => {
    const fake = await start({ fault: { kind: 'rate_limit', retryAfterMs: 13_000 } });
    const g = await gemini(fake);
    expect(g.status).toBe(429);
    expect(g.headers.get('retry-after')).toBe('13');
    expect(g.json).toMatchObject({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: expect.arrayContaining([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '13s' }]),
      },
    });
    const o = await openai(fake);
    expect(o.json).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    fake.setBehavior({ fault: { kind: 'rate_limit', retryAfterMs: 60_000, retryAfter: 'date' } });
    const dated = await openai(fake);
    expect(Date.parse(dated.headers.get('retry-after') ?? '')).toBeGreaterThan(Date.now() + 50_000);
    expect(fake.stats()).toMatchObject({ requests: 3, rateLimited: 3, limiterRejections: 0 });
  });

  it('injects 500s, malformed bodies, safety blocks and arbitrary statuses', async () => {
    const fake = await start({ fault: { kind: 'server' } });
    expect((await openai(fake)).status).toBe(500);
    fake.setBehavior({ fault: { kind: 'malformed' } });
    const response = await fetch(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(openaiBody),
    });
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
    fake.setBehavior({ fault: { kind: 'blocked', stage: 'prompt' } });
    expect((await gemini(fake)).json).toMatchObject({ promptFeedback: { blockReason: 'SAFETY' } });
    fake.setBehavior({ fault: { kind: 'blocked' } });
    expect((await openai(fake)).json).toMatchObject({
      choices: [{ finish_reason: 'content_filter', message: { content: null } }],
    });
    fake.setBehavior({
      fault: (ctx) => (ctx.format === 'gemini' ? { kind: 'status', status: 418, body: { teapot: true } } : undefined),
    });
    expect(await gemini(fake)).toMatchObject({ status: 418, json: { teapot: true } });
    expect((await openai(fake)).status).toBe(200);
    expect(fake.requests.map((request) => request.outcome)).toEqual([
      'error',
      'malformed',
      'blocked',
      'blocked',
      'error',
      'ok',
    ]);
  });

  it('hangs until the client gives up (recorded as aborted) or the server closes (recorded as hang)', async () => {
    const fake = await startFakeProvider({ fault: { kind: 'hang' } });
    const controller = new AbortController();
    const abandoned = fetch(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(openaiBody),
      signal: controller.signal,
    });
    const held = fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(openaiBody) });
    await waitFor(() => fake.stats().inFlight === 2);
    controller.abort();
    await expect(abandoned).rejects.toThrow();
    await waitFor(() => fake.requests[0]!.outcome === 'aborted');
    const closing = fake.close();
    await expect(held).rejects.toThrow();
    await closing;
    expect(fake.requests[1]!.outcome).toBe('hang');
    expect(fake.stats()).toMatchObject({ inFlight: 0, maxInFlight: 2 });
  });

  it('resets connections', async () => {
    const fake = await start({ fault: { kind: 'reset' } });
    await expect(openai(fake)).rejects.toThrow();
    expect(fake.requests[0]!.outcome).toBe('reset');
  });

  it('counts concurrency', async () => {
    const fake = await start({ latencyMs: 100 });
    await Promise.all([openai(fake), openai(fake), gemini(fake), gemini(fake)]);
    expect(fake.stats()).toMatchObject({ requests: 4, ok: 4, inFlight: 0, maxInFlight: 4 });
  });

  it('reset forgets what it served (a warm server for the next run), never with a request in flight', async () => {
    // Long enough that a request is seen in flight however late the poll below comes round.
    const fake = await start({ latencyMs: 400 });
    await Promise.all([openai(fake), openai(fake)]);
    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect(fake.stats()).toMatchObject({ requests: 0, inFlight: 0, maxInFlight: 0 });
    const pending = openai(fake);
    // Once the server holds it (on a loaded machine the request may take longer than any fixed wait to arrive).
    await until(() => fake.stats().inFlight === 1, 10_000, 'the request in flight');
    expect(() => fake.reset()).toThrow(/1 request\(s\) in flight/);
    await pending;
    expect(fake.stats()).toMatchObject({ requests: 1, ok: 1, maxInFlight: 1 });
  });

  it('record: false keeps no request and counts them as a recording server does', async () => {
    // Success with reported usage, a 429 fault, a 500 fault, a body that is not JSON, a 404, a hang the client gives up on.
    const fault = (ctx: { messages: Array<{ text: string }> }): FakeFault | undefined => {
      const word = ctx.messages[0]?.text;
      if (word === 'limit') return { kind: 'rate_limit' };
      if (word === 'broken') return { kind: 'server' };
      if (word === 'hang') return { kind: 'hang' };
      return undefined;
    };
    const options = { usage: { prompt: 7, output: 3, thoughts: 2 }, fault } satisfies FakeProviderOptions;
    const traffic = async (fake: FakeProvider): Promise<void> => {
      const say = (text: string): Promise<Answer> =>
        post(`${fake.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: text }] });
      await Promise.all([say('hello'), say('again'), say('limit'), say('broken')]);
      const raw = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: '{nope' });
      expect(raw.status).toBe(400);
      expect((await fetch(`${fake.url}/nowhere`, { method: 'POST', body: '{}' })).status).toBe(404);
      const gaveUp = new AbortController();
      const hung = fetch(`${fake.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hang' }] }),
        signal: gaveUp.signal,
      }).catch(() => 'aborted');
      await waitFor(() => fake.stats().inFlight === 1);
      gaveUp.abort();
      expect(await hung).toBe('aborted');
      await waitFor(() => fake.stats().inFlight === 0);
    };
    const recording = await start(options);
    const counting = await start({ ...options, record: false });
    await traffic(recording);
    await traffic(counting);
    const expected = { requests: 7, ok: 2, rateLimited: 1, errors: 3, tokens: 24, inFlight: 0 };
    expect(recording.stats()).toMatchObject(expected);
    expect(counting.stats()).toEqual(recording.stats());
    expect(recording.requests).toHaveLength(7);
    expect(counting.requests).toHaveLength(0);
    counting.reset();
    expect(counting.stats()).toMatchObject({ requests: 0, ok: 0, rateLimited: 0, errors: 0, tokens: 0 });
  });

  it('maxConcurrent: serves that many at once and refuses the rest with an immediate 503', async () => {
    const fake = await start({ latencyMs: 500, maxConcurrent: 2 });
    const t0 = Date.now();
    const answers = await Promise.all([openai(fake), openai(fake), openai(fake), gemini(fake)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 503, 503]);
    // Immediate: both refused while the two served still waited out their latency (an order of
    // events; a bound of 100 ms by the clock failed on a loaded machine).
    const at = (status: number): number[] =>
      fake.requests.filter((r) => r.status === status).map((r) => r.respondedAt ?? Infinity);
    expect(Math.max(...at(503))).toBeLessThan(Math.min(...at(200)));
    expect(fake.stats()).toMatchObject({ ok: 2, capacityRejections: 2, maxServing: 2 });
    // Slots free up once the replies are out.
    expect((await openai(fake)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(990);
  });
});

describe('fake provider: the built-in limiter', () => {
  it('rpm: the request over the limit gets 429 + Retry-After, and passes once the window moves', async () => {
    const fake = await start({ limits: { rpm: 2, windowMs: 400 } });
    expect((await openai(fake)).headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect((await gemini(fake)).status).toBe(200);
    const rejected = await openai(fake);
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toBe('1'); // at least a second, HTTP has no finer unit
    expect(rejected.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const geminiRejected = await gemini(fake);
    expect(JSON.stringify(geminiRejected.json)).toContain('google.rpc.RetryInfo');
    expect(fake.stats()).toMatchObject({ ok: 2, rateLimited: 2, limiterRejections: 2 });
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await openai(fake)).status).toBe(200);
  });

  it('counts a request at arrival and refuses at once, while replies wait out the latency', async () => {
    const fake = await start({ limits: { rpm: 1 }, latencyMs: 1_000 });
    const t = Date.now();
    let slowAnswered = false;
    const [slow, refused] = await Promise.all([
      openai(fake).finally(() => (slowAnswered = true)),
      (async () => {
        await waitFor(() => fake.requests.length === 1);
        const answer = await openai(fake);
        // Refused while the first still waits out its latency: an order of events, not a time.
        return { answer, slowAnswered };
      })(),
    ]);
    expect(slow.status).toBe(200);
    expect(refused.answer.status).toBe(429);
    expect(refused.slowAnswered).toBe(false);
    expect(Date.now() - t).toBeGreaterThanOrEqual(990);
  });

  it('tpm counts the tokens each reply reports', async () => {
    const fake = await start({ limits: { tpm: 100, windowMs: 60_000 }, usage: { prompt: 30, output: 10 } });
    const first = await openai(fake);
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('60');
    expect((await openai(fake)).headers.get('x-ratelimit-remaining-tokens')).toBe('20');
    const rejected = await openai(fake);
    expect(rejected.status).toBe(429);
    expect(Number(rejected.headers.get('retry-after'))).toBeGreaterThan(55);
    expect(String((rejected.json.error as { message: string }).message)).toContain('tokens per minute');
    expect(fake.stats()).toMatchObject({ ok: 2, tokens: 80, limiterRejections: 1 });
    // a smaller request still fits
    fake.setBehavior({ usage: { prompt: 10, output: 5 } });
    expect((await openai(fake)).status).toBe(200);
  });

  it('setBehavior({limits}) starts a fresh window; headroom() reports it', async () => {
    const fake = await start({ limits: { rpm: 1 } });
    await openai(fake);
    expect(fake.headroom()).toMatchObject({ limitRequests: 1, remainingRequests: 0 });
    fake.setBehavior({ limits: { rpm: 5 } });
    expect(fake.headroom()).toMatchObject({ limitRequests: 5, remainingRequests: 5 });
    fake.setBehavior({ limits: undefined });
    expect(fake.headroom()).toEqual({});
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
