/** The model pool's concurrency per provider: where limits start, pinned limits, retries and slots, what it learns. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelDriver, ModelReply, ModelRequest } from '../../../drivers/llm/types.js';
import { type Lease, ModelPool, parseLimits } from '../../../kernel/sched/model-pool.js';
import { param } from '../../../sys/param.js';
import { classifyProvider, isLocalUrl } from '../../../kernel/sched/provider-class.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

function request(signal = new AbortController().signal): ModelRequest {
  return { system: 's', messages: [{ role: 'user', text: 'hi' }], proc: { pid: 1, name: 'root', turn: 0 }, signal };
}

const overloaded = (): Error => Object.assign(new Error('503'), { kind: 'server', status: 503, retryable: true });

/** Fails with the given errors first, then answers; `gate` (if any) holds every call until resolved. */
function driver(failures: unknown[], gate?: Promise<void>): ModelDriver & { calls: number } {
  const d = {
    id: 'test:d',
    calls: 0,
    async complete(): Promise<ModelReply> {
      const failure = failures[d.calls++];
      if (failure) throw failure;
      await gate;
      return { text: 'ok' };
    },
  };
  return d;
}

const figuresOf = (pool: ModelPool, provider: string) => pool.providers().find((p) => p.provider === provider);

describe('provider classes', () => {
  it('tells local servers (loopback, private, .local) from hosted APIs by the base URL', () => {
    for (const url of [
      'http://127.0.0.1:11434/v1',
      'http://localhost:8080/v1',
      'http://[::1]:8000/v1',
      'http://192.168.1.20:11434/v1',
      'http://gpu.local:8000',
    ]) {
      expect(isLocalUrl(url), url).toBe(true);
    }
    for (const url of [
      'https://api.openai.com/v1',
      'https://generativelanguage.googleapis.com',
      'http://8.8.8.8/v1',
      'not a url',
    ]) {
      expect(isLocalUrl(url), url).toBe(false);
    }
    expect(classifyProvider('replay', {})).toBe('unbounded');
    expect(classifyProvider('gemini', {})).toBe('hosted');
    expect(classifyProvider('gemini', { GEMINI_BASE_URL: 'http://127.0.0.1:9999' })).toBe('local');
    // No key and no base URL: the OpenAI driver goes to a local Ollama.
    expect(classifyProvider('openai', {})).toBe('local');
    expect(classifyProvider('openai', { OPENAI_API_KEY: 'sk-x' })).toBe('hosted');
    expect(classifyProvider('openai', { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://localhost:8000/v1' })).toBe(
      'local',
    );
  });
});

describe('ModelPool concurrency', () => {
  it('starts hosted APIs high, local servers low, replay unbounded: all but replay adaptive', () => {
    const classes = { gemini: 'hosted', openai: 'local', replay: 'unbounded' } as const;
    const pool = new ModelPool({ classify: (p) => classes[p as keyof typeof classes] });
    for (const model of ['gemini:flash', 'openai:llama', 'replay:/t.yaml'])
      expect(typeof pool.admit(model, 1)).toBe('object');
    expect(figuresOf(pool, 'gemini')).toMatchObject({
      limit: param.hostedConcurrencyStart,
      adaptive: true,
      in_flight: 1,
    });
    expect(figuresOf(pool, 'openai')).toMatchObject({
      limit: param.localConcurrencyStart,
      adaptive: true,
      in_flight: 1,
    });
    expect(figuresOf(pool, 'replay')).toMatchObject({ limit: null, adaptive: false, in_flight: 1 });
  });

  it('AOS_LIMITS concurrency=N pins a fixed limit; start=N sets where the adaptive one starts', () => {
    const limits = parseLimits('openai:concurrency=2; gemini:start=50');
    expect(limits).toEqual({ openai: { concurrency: 2 }, gemini: { start: 50 } });
    const pool = new ModelPool({ limits, classify: () => 'hosted' });
    expect(typeof pool.admit('openai:a', 1)).toBe('object');
    expect(typeof pool.admit('openai:b', 1)).toBe('object');
    expect(pool.admit('openai:a', 1)).toBe(Infinity);
    expect(typeof pool.admit('gemini:x', 1)).toBe('object');
    expect(figuresOf(pool, 'openai')).toMatchObject({ limit: 2, adaptive: false, in_flight: 2 });
    expect(figuresOf(pool, 'gemini')).toMatchObject({ limit: 50, adaptive: true });
  });

  it('AOS_LIMITS class=hosted|local says what the server is, over the guess from its address', async () => {
    expect(parseLimits('openai:class=hosted,start=64')).toEqual({ openai: { class: 'hosted', start: 64 } });
    expect(() => parseLimits('openai:class=remote')).toThrow(/class is hosted or local/);
    expect(() => parseLimits('openai:gpt-4o:class=hosted')).toThrow(/class is a provider's.*"openai"/);
    // A gateway on loopback (LiteLLM, a tunnel) that forwards to a hosted API: it starts high.
    const gateway = new ModelPool({ limits: parseLimits('openai:class=hosted'), classify: () => 'local' });
    gateway.release(gateway.admit('openai:m', 1) as Lease, null);
    expect(figuresOf(gateway, 'openai')).toMatchObject({ limit: param.hostedConcurrencyStart, adaptive: true });
    // A model server at a public address: it starts low.
    const remote = new ModelPool({ limits: parseLimits('openai:class=local'), classify: () => 'hosted' });
    remote.release(remote.admit('openai:m', 1) as Lease, null);
    expect(figuresOf(remote, 'openai')).toMatchObject({ limit: param.localConcurrencyStart });

    // The latency rule goes with the class. The limit grows from 4 on fast replies (slow start); then
    // 20 at once answer ~100× slower than the no-load baseline: a local server's limit is cut (its
    // requests queue), a hosted one's is not (its latency is everyone's load and reply lengths).
    const limitAfterSlowReplies = async (limits: string, classify: 'hosted' | 'local'): Promise<number> => {
      const pool = new ModelPool({ limits: parseLimits(limits), classify: () => classify });
      let slow = false;
      const d: ModelDriver = {
        id: 'openai:m',
        complete: async () => {
          await new Promise((resolve) => setTimeout(resolve, slow ? 100 : 1));
          return { text: 'ok' };
        },
      };
      const batch = async (n: number): Promise<void> => {
        const leases: Lease[] = [];
        for (let lease = pool.admit('openai:m', 1); typeof lease === 'object' && leases.length < n;) {
          leases.push(lease);
          if (leases.length < n) lease = pool.admit('openai:m', 1);
        }
        await Promise.all(
          leases.map(async (lease) => {
            await pool.complete(d, request(), lease);
            pool.release(lease, null);
          }),
        );
      };
      while ((figuresOf(pool, 'openai')?.limit ?? 0) < 24) await batch(Infinity);
      slow = true;
      await batch(20);
      return figuresOf(pool, 'openai')?.limit ?? 0;
    };
    expect(await limitAfterSlowReplies('openai:start=4', 'local')).toBeLessThan(20);
    expect(await limitAfterSlowReplies('openai:start=4,class=hosted', 'local')).toBeGreaterThanOrEqual(24);
    expect(await limitAfterSlowReplies('openai:start=4,class=local', 'hosted')).toBeLessThan(20);
  });

  it('learns from 503s without the caller seeing them: the limit comes down, the call succeeds', async () => {
    const pool = new ModelPool({
      limits: { test: { start: 100 } },
      backoffBaseMs: 200,
      backoffMaxMs: 200,
      random: () => 1,
    });
    const [first, ...others] = Array.from({ length: 10 }, () => pool.admit('test:m', 1) as Lease);
    const done = pool.complete(driver([overloaded(), overloaded()]), request(), first as Lease);
    // Refused with 10 in flight: at most 9 fit.
    await vi.waitFor(() => expect(figuresOf(pool, 'test')).toMatchObject({ limit: 9, throttled: 1 }));
    for (const lease of others) pool.release(lease, null);
    await expect(done).resolves.toMatchObject({ text: 'ok' });
    // The retry, sent under the new limit and refused alone, cut again (to the floor, then one success: 2).
    expect(figuresOf(pool, 'test')).toMatchObject({ limit: 2, throttled: 2 });
  });

  it('a retry gives its slot back while it backs off, and has it back before any new turn', async () => {
    const pool = new ModelPool({
      limits: { test: { concurrency: 1 } },
      backoffBaseMs: 300,
      backoffMaxMs: 300,
      random: () => 1,
    });
    let open = (): void => {};
    const held = new Promise<void>((resolve) => (open = resolve));
    const a = pool.admit('test:m', 1) as Lease;
    const retrying = pool.complete(driver([overloaded()]), request(), a);
    // A is backing off: its slot serves B meanwhile.
    await vi.waitFor(() => expect(figuresOf(pool, 'test')).toMatchObject({ in_flight: 0 }));
    const b = pool.admit('test:m', 1);
    expect(typeof b).toBe('object');
    const running = pool.complete(driver([], held), request(), b as Lease);
    // A's backoff ends and it waits for the slot: a new turn may not jump ahead of it.
    await vi.waitFor(() => expect(figuresOf(pool, 'test')).toMatchObject({ in_flight: 1, retrying: 1 }));
    open();
    await running;
    pool.release(b as Lease, null);
    expect(pool.admit('test:m', 1)).toBe(Infinity);
    await expect(retrying).resolves.toMatchObject({ text: 'ok' });
    pool.release(a, null);
    expect(typeof pool.admit('test:m', 1)).toBe('object');
  });

  it('a retry waiting for a slot stops waiting when its process is killed', async () => {
    const pool = new ModelPool({
      limits: { test: { concurrency: 1 } },
      backoffBaseMs: 100,
      backoffMaxMs: 100,
      random: () => 1,
    });
    const controller = new AbortController();
    const a = pool.admit('test:m', 1) as Lease;
    const retrying = pool.complete(driver([overloaded()]), request(controller.signal), a);
    await vi.waitFor(() => expect(figuresOf(pool, 'test')).toMatchObject({ in_flight: 0 }));
    const b = pool.admit('test:m', 1) as Lease;
    await vi.waitFor(() => expect(figuresOf(pool, 'test')).toMatchObject({ retrying: 1 }));
    controller.abort(new Error('killed'));
    await expect(retrying).rejects.toThrow('killed');
    expect(figuresOf(pool, 'test')).toMatchObject({ retrying: 0, in_flight: 1 });
    pool.release(a, null);
    pool.release(b, null);
    expect(figuresOf(pool, 'test')).toMatchObject({ in_flight: 0 });
  });
});

describe('kernel stats per provider', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('shows limit, in flight, queued and headroom per provider, and no global cap', async () => {
    const slow = [{ delay_ms: 400, reply: call('SYS_WRITE_STDOUT', { text: 'x' }) }, EXIT];
    h = await startHarness({ a: slow, b: slow, c: slow }, { modelLimits: { replay: { concurrency: 1, rpm: 6000 } } });
    const pcbs = await Promise.all(
      ['a', 'b', 'c'].map((name) => h?.spawn({ name }) ?? Promise.reject(new Error('no harness'))),
    );
    const kernel = h.kernel;
    await vi.waitFor(() => expect(kernel.stats().queue_depth).toBe(2));
    const stats = kernel.stats();
    expect(stats.providers).toEqual([
      {
        provider: 'replay',
        limit: 1,
        adaptive: false,
        in_flight: 1,
        queued: 2,
        retrying: 0,
        rpm_left: expect.any(Number),
        tpm_left: null,
        throttled: 0,
      },
    ]);
    expect(stats).toMatchObject({ active_inferences: 1, max_inferences: 1, queue_depth: 2 });
    expect(stats.rate_limits).toEqual([{ provider: 'replay', rpm_left: expect.any(Number), tpm_left: null }]);
    await Promise.all(pcbs.map((p) => h?.kernel.waitExit(p.pid)));
    expect(h.kernel.stats().providers[0]).toMatchObject({ in_flight: 0, queued: 0 });
  });
});
