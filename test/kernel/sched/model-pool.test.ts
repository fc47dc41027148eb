import { describe, expect, it, vi } from 'vitest';
import type { ModelDriver, ModelReply, ModelRequest } from '../../../drivers/llm/types.js';
import { type Lease, ModelPool, parseLimits } from '../../../kernel/sched/model-pool.js';
import { Scheduler } from '../../../kernel/sched/scheduler.js';
import { TokenBucket } from '../../../kernel/sched/token-bucket.js';

function request(signal = new AbortController().signal): ModelRequest {
  return { system: 's', messages: [{ role: 'user', text: 'hi' }], proc: { pid: 1, name: 'root', turn: 0 }, signal };
}

/** A driver that fails with the given errors first, then answers. */
function flaky(failures: unknown[]): ModelDriver & { calls: number } {
  const driver = {
    id: 'test:flaky',
    calls: 0,
    complete(): Promise<ModelReply> {
      const failure = failures[driver.calls++];
      return failure ? Promise.reject(failure) : Promise.resolve({ text: 'ok', usage: { prompt: 10, output: 2 } });
    },
  };
  return driver;
}

const rateLimited = (retryAfterMs?: number) =>
  Object.assign(new Error('429'), { kind: 'rate_limit', retryable: true, retryAfterMs });
const serverError = () => Object.assign(new Error('500'), { kind: 'server', retryable: true });

describe('TokenBucket', () => {
  it('refills continuously and says how long to wait', () => {
    const bucket = new TokenBucket(60, 0);
    bucket.take(60, 0);
    expect(bucket.waitFor(1, 0)).toBe(1000);
    expect(bucket.available(500)).toBeCloseTo(0.5);
    expect(bucket.waitFor(1, 1000)).toBe(0);
  });

  it('trusts a lower remaining count from the provider, and drains until a Retry-After', () => {
    const bucket = new TokenBucket(600, 0);
    bucket.observeRemaining(5, 0);
    expect(bucket.available(0)).toBe(5);
    bucket.drainUntil(2000, 0);
    expect(bucket.waitFor(1, 0)).toBeGreaterThanOrEqual(2000);
  });
});

describe('ModelPool', () => {
  it('retries 429s and 5xx until the call succeeds: the agent never sees them', async () => {
    const pool = new ModelPool({ backoffBaseMs: 1, backoffMaxMs: 5 });
    const driver = flaky([rateLimited(5), serverError(), serverError()]);
    const lease = pool.admit('test:m', 100) as Lease;
    const reply = await pool.complete(driver, request(), lease);
    expect(reply.text).toBe('ok');
    expect(driver.calls).toBe(4);
  });

  it('gives up after maxRetries and does not retry what cannot succeed', async () => {
    const pool = new ModelPool({ backoffBaseMs: 1, backoffMaxMs: 2, maxRetries: 2 });
    const always = flaky([serverError(), serverError(), serverError(), serverError()]);
    await expect(pool.complete(always, request(), pool.admit('test:m', 1) as Lease)).rejects.toThrow('500');
    expect(always.calls).toBe(3);
    const auth = flaky([Object.assign(new Error('401'), { kind: 'auth', retryable: false })]);
    await expect(pool.complete(auth, request(), pool.admit('test:m', 1) as Lease)).rejects.toThrow('401');
    expect(auth.calls).toBe(1);
  });

  it('honours Retry-After before the next attempt, and stops waiting when aborted', async () => {
    vi.useFakeTimers();
    try {
      const pool = new ModelPool({ backoffBaseMs: 1 });
      const driver = flaky([rateLimited(3000)]);
      const done = pool.complete(driver, request(), pool.admit('test:m', 1) as Lease);
      await vi.advanceTimersByTimeAsync(2900);
      expect(driver.calls).toBe(1);
      await vi.advanceTimersByTimeAsync(200);
      await expect(done).resolves.toMatchObject({ text: 'ok' });
      const controller = new AbortController();
      const aborted = pool.complete(
        flaky([rateLimited(60_000)]),
        request(controller.signal),
        pool.admit('test:m', 1) as Lease,
      );
      const assertion = expect(aborted).rejects.toBeDefined();
      await vi.advanceTimersByTimeAsync(10);
      controller.abort(new Error('killed'));
      await assertion;
    } finally {
      vi.useRealTimers();
    }
  });

  it('admits no more than the concurrency of a provider, and paces requests per minute', () => {
    const pool = new ModelPool({ limits: { gemini: { concurrency: 2, rpm: 600 } } });
    const a = pool.admit('gemini:flash', 1);
    const b = pool.admit('gemini:pro', 1);
    expect(typeof a).toBe('object');
    expect(typeof b).toBe('object');
    expect(pool.admit('gemini:flash', 1)).toBe(Infinity);
    pool.release(a as Lease, 1);
    // A slot is free again, and 600 rpm bursts 10 requests (one second's worth).
    expect(typeof pool.admit('gemini:flash', 1)).toBe('object');
    // 2 rpm: one request now, the next 30 s later — evenly paced, never a minute's burst.
    const paced = new ModelPool({ limits: { openai: { rpm: 2 } } });
    expect(typeof paced.admit('openai:x', 1)).toBe('object');
    const wait = paced.admit('openai:x', 1);
    expect(wait).toBeGreaterThan(29_000);
    expect(wait).toBeLessThanOrEqual(30_000);
  });

  it('paces by tokens per minute and settles the estimate with the real usage', () => {
    // 60k tpm bursts 10 s worth: 10k tokens.
    const pool = new ModelPool({ limits: { openai: { tpm: 60_000 } } });
    const lease = pool.admit('openai:x', 9000) as Lease;
    expect(typeof pool.admit('openai:x', 9000)).toBe('number');
    pool.release(lease, 100);
    expect(typeof pool.admit('openai:x', 8000)).toBe('object');
  });

  it('parses AOS_LIMITS, including model names with colons, and rejects nonsense', () => {
    expect(parseLimits('gemini:rpm=60,tpm=1000000,concurrency=4; openai:llama3.1:8b:concurrency=1')).toEqual({
      gemini: { rpm: 60, tpm: 1_000_000, concurrency: 4 },
      'openai:llama3.1:8b': { concurrency: 1 },
    });
    expect(parseLimits(undefined)).toEqual({});
    expect(() => parseLimits('gemini:rpm=fast')).toThrow(/bad "rpm=fast"/);
    expect(() => parseLimits('nolane')).toThrow(/AOS_LIMITS/);
  });
});

describe('Scheduler with the pool', () => {
  it('a saturated provider does not hold up another provider', () => {
    const pool = new ModelPool({ limits: { gemini: { concurrency: 1 } } });
    const started: number[] = [];
    const scheduler = new Scheduler((pid) => started.push(pid), pool);
    scheduler.enqueue(1, 0, 'gemini:a');
    scheduler.enqueue(2, 0, 'gemini:a');
    scheduler.enqueue(3, 0, 'replay:/t.yaml');
    expect(started).toEqual([1, 3]);
  });

  it('shares a lane fairly by tokens: a heavy process waits while light ones catch up', () => {
    const started: number[] = [];
    const leases = new Map<number, Lease>();
    const pool = new ModelPool({ limits: { test: { concurrency: 1 } } });
    const scheduler = new Scheduler((pid, lease) => {
      started.push(pid);
      leases.set(pid, lease);
    }, pool);
    scheduler.enqueue(1, 0, 'test:m');
    scheduler.enqueue(2, 0, 'test:m');
    scheduler.enqueue(3, 0, 'test:m');
    // pid 1 runs and uses 1000 tokens; 2 and 3 use 10 each: 1 must wait until they have had as much.
    const finish = (pid: number, tokens: number): void => {
      scheduler.charge(pid, tokens);
      scheduler.enqueue(pid, 0, 'test:m');
      scheduler.release(leases.get(pid), tokens);
    };
    finish(1, 1000);
    finish(2, 10);
    finish(3, 10);
    finish(2, 10);
    finish(3, 10);
    expect(started).toEqual([1, 2, 3, 2, 3, 2]);
  });

  it('wakes up by itself when a rate budget refills (no polling loop)', async () => {
    vi.useFakeTimers();
    try {
      const pool = new ModelPool({ limits: { test: { rpm: 60, concurrency: 100 } } });
      const started: number[] = [];
      const scheduler = new Scheduler((pid) => started.push(pid), pool);
      for (let pid = 1; pid <= 3; pid++) scheduler.enqueue(pid, 0, 'test:m');
      expect(started).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(999);
      expect(started).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(2);
      expect(started).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1000);
      expect(started).toHaveLength(3);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
