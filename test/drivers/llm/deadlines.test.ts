/**
 * Issue 47.7: a model endpoint that accepts and never answers, or answers and stalls, is given up on
 * within the configured bounds, each failure naming the address and the setting that bounds it —
 * against real loopback listeners, for both drivers, whole and streamed. A blackhole is said dead
 * (first_byte_s, then a probe it does not answer either) and not retried; a stream that stops is cut
 * by idle_s and retried; a server that is there but slow is waited for, up to reply_s.
 */
import { randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createGeminiDriver } from '../../../drivers/llm/gemini.js';
import { createOpenAIDriver } from '../../../drivers/llm/openai.js';
import { withDeadline } from '../../../drivers/llm/deadline.js';
import { ProviderError } from '../../../drivers/llm/provider-error.js';
import type { ModelDriver, ModelRequest } from '../../../drivers/llm/types.js';
import { deadlinesOf, type LaneLimits } from '../../../sys/model-limits.js';
import { type FakeProvider, startFakeProvider } from '../../fakes/fake-provider.js';
import { blackhole, type Listener, stallsMidAnswer } from '../../helpers/silent-listeners.js';
import { until } from '../../helpers/until.js';

const KEY = 'gm-test-key-0123456789';
const open: Array<Listener | FakeProvider> = [];
afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
});

function request(stream: boolean): ModelRequest {
  return {
    system: 'You are process 3.',
    messages: [{ role: 'user', text: '[TASK] say hello' }],
    proc: { pid: 3, name: 'root', turn: 0 },
    signal: new AbortController().signal,
    ...(stream ? { onText: () => {} } : {}),
  };
}

type Provider = 'openai' | 'gemini';
const DRIVERS: Record<
  Provider,
  { base: (port: number) => string; make: (base: string, limits: LaneLimits) => ModelDriver }
> = {
  openai: {
    base: (port) => `http://127.0.0.1:${port}/v1`,
    make: (base, limits) =>
      createOpenAIDriver({
        model: 'llama3',
        baseUrl: base,
        env: {},
        deadlines: deadlinesOf({ openai: limits }, 'openai:llama3'),
      }),
  },
  gemini: {
    base: (port) => `http://127.0.0.1:${port}`,
    make: (base, limits) =>
      createGeminiDriver({
        model: 'gemini-2.5-flash',
        apiKey: KEY,
        baseUrl: base,
        env: {},
        deadlines: deadlinesOf({ gemini: limits }, 'gemini:gemini-2.5-flash'),
      }),
  },
};

/** The call's failure and how long it took to come. */
async function failure(driver: ModelDriver, stream: boolean): Promise<{ error: ProviderError; ms: number }> {
  const started = performance.now();
  const caught: unknown = await driver.complete(request(stream)).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(ProviderError);
  return { error: caught as ProviderError, ms: performance.now() - started };
}

describe.each(['openai', 'gemini'] as const)('%s driver deadlines', (provider) => {
  const { base, make } = DRIVERS[provider];

  it.each([false, true])(
    'a blackhole (stream %s) is dead after first_byte_s and a probe: not retryable, naming the address and the setting',
    async (stream) => {
      const hole = await blackhole();
      open.push(hole);
      // This call's own path under the port: another test's client may still dial a port listen(0) handed out again.
      const mine = `/${randomUUID()}`;
      const url = `http://127.0.0.1:${hole.port}${mine}${new URL(base(hole.port)).pathname.replace(/\/$/, '')}`;
      const { error, ms } = await failure(make(url, { first_byte_s: 0.3, reply_s: 30 }), stream);
      expect(error).toMatchObject({ kind: 'timeout', retryable: false, endpoint: url });
      expect(error.message).toContain(`no answer from ${url} within 0.3 s, nor to a second request there within 0.3 s`);
      expect(error.message).toContain(`(AOS_LIMITS ${provider} first_byte_s)`);
      expect(error.errno).toBe('ETIMEDOUT');
      // The request and the probe, each on its own connection, neither retried; the whole thing well inside reply_s.
      // What reached the hole is read once both did, or after a while: on a loaded machine (load 15, CI 12x) the
      // driver may give up on a request its HTTP thread had not yet written — then the hole never sees that line.
      // A retry would: no method comes twice.
      const mineOnly = (): string[] => hole.requestLines.filter((line) => line.includes(` ${mine}/`));
      await until(() => mineOnly().length >= 2, 3_000).catch(() => undefined);
      const methods = mineOnly().map((line) => line.split(' ')[0]);
      expect(methods.length).toBeLessThanOrEqual(2);
      expect(new Set(methods).size).toBe(methods.length);
      expect(methods.every((m) => m === 'GET' || m === 'POST')).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(500);
      expect(ms).toBeLessThan(5_000);
    },
  );

  it('a stream that sends its headers and a first piece, then stalls, is cut by idle_s: retryable, naming the address and the setting', async () => {
    const stall = await stallsMidAnswer({ stream: true, format: provider });
    open.push(stall);
    const pieces: string[] = [];
    const started = performance.now();
    const caught: unknown = await make(base(stall.port), { first_byte_s: 0.3, idle_s: 0.5, reply_s: 30 })
      .complete({ ...request(true), onText: (piece) => pieces.push(piece) })
      .catch((error: unknown) => error);
    const ms = performance.now() - started;
    expect(pieces).toEqual(['Thinking']);
    expect(caught).toMatchObject({ kind: 'timeout', retryable: true, endpoint: base(stall.port) });
    expect((caught as Error).message).toBe(
      `${provider === 'openai' ? 'openai:llama3' : 'gemini:gemini-2.5-flash'}: the answer from ${base(stall.port)} stopped: nothing for 0.5 s (AOS_LIMITS ${provider} idle_s)`,
    );
    expect(ms).toBeLessThan(5_000);
  });

  it('a whole answer announced and never finished is cut by reply_s, naming the address and the setting', async () => {
    const stall = await stallsMidAnswer({ stream: false, format: provider });
    open.push(stall);
    const { error, ms } = await failure(make(base(stall.port), { first_byte_s: 0.3, reply_s: 1 }), false);
    expect(error).toMatchObject({ kind: 'timeout', retryable: true, endpoint: base(stall.port) });
    expect(error.message).toContain(
      `no whole answer from ${base(stall.port)} within 1 s (AOS_LIMITS ${provider} reply_s)`,
    );
    expect(ms).toBeLessThan(5_000);
  });

  it('a server that is there and slower than first_byte_s (a model thinking) is waited for', async () => {
    const fake = await startFakeProvider({ latencyMs: 900, reply: 'Done. [SYS_CALL::SYS_EXIT] {"code":0}' });
    open.push(fake);
    const url = provider === 'openai' ? `${fake.url}/v1` : fake.url;
    for (const stream of [false, true]) {
      const reply = await make(url, { first_byte_s: 0.2, reply_s: 10 }).complete(request(stream));
      expect(reply.text).toBe('Done. [SYS_CALL::SYS_EXIT] {"code":0}');
    }
    // Each call's probe found the server there: a GET the fake does not serve (a 404 is an answer).
    expect(fake.requests.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(2);
  });
});

describe('deadlines come from AOS_LIMITS, a model over its provider, param by default', () => {
  it('names the lane that set each, and bounds the probe by first_byte_s', () => {
    const limits = { openai: { first_byte_s: 20, idle_s: 5 }, 'openai:o3': { first_byte_s: 120 } };
    expect(deadlinesOf(limits, 'openai:o3')).toEqual({
      firstByteMs: 120_000,
      idleMs: 5_000,
      replyMs: 300_000,
      probeMs: 10_000,
      settings: {
        firstByte: 'AOS_LIMITS openai:o3 first_byte_s',
        idle: 'AOS_LIMITS openai idle_s',
        reply: 'AOS_LIMITS openai reply_s',
      },
    });
    expect(deadlinesOf(limits, 'openai:gpt-4o').firstByteMs).toBe(20_000);
    expect(deadlinesOf({}, 'gemini:gemini-2.5-pro')).toMatchObject({
      firstByteMs: 45_000,
      idleMs: 60_000,
      probeMs: 10_000,
      settings: { firstByte: 'AOS_LIMITS gemini first_byte_s' },
    });
    expect(deadlinesOf({ gemini: { first_byte_s: 2 } }, 'gemini:x').probeMs).toBe(2_000);
  });
});

describe('the caller signal an attempt listens to', () => {
  const call = (signal: AbortSignal) => ({
    model: 'openai:llama3',
    endpoint: 'http://127.0.0.1:9/v1',
    deadlines: deadlinesOf({ openai: { first_byte_s: 30, reply_s: 60 } }, 'openai:llama3'),
    probe: () => Promise.resolve(200),
    signal,
  });

  it('has one listener however many attempts wait on it, and aborts each of them with its reason', async () => {
    const caller = new AbortController();
    const seen: AbortSignal[] = [];
    const pending = Array.from({ length: 50 }, () =>
      withDeadline(call(caller.signal), (signal) => {
        seen.push(signal);
        return new Promise<never>(() => {});
      }).catch((error: unknown) => error),
    );
    expect(getEventListeners(caller.signal, 'abort').length).toBe(1);
    const reason = new Error('killed');
    caller.abort(reason);
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 50 }, () => reason));
    expect(seen.every((signal) => signal.aborted)).toBe(true);
  });

  it('lets go of an attempt once it has settled: a later abort reaches only those still waiting', async () => {
    const caller = new AbortController();
    const done: AbortSignal[] = [];
    for (let i = 0; i < 3; i++)
      await withDeadline(call(caller.signal), (signal) => {
        done.push(signal);
        return Promise.resolve(i);
      });
    let waiting: AbortSignal | undefined;
    const pending = withDeadline(call(caller.signal), (signal) => {
      waiting = signal;
      return new Promise<never>(() => {});
    }).catch((error: unknown) => error);
    caller.abort(new Error('killed'));
    expect(await pending).toMatchObject({ message: 'killed' });
    expect(waiting?.aborted).toBe(true);
    expect(done.some((signal) => signal.aborted)).toBe(false);
  });
});
