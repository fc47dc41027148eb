/**
 * Against a provider that serves at most N requests at once and answers 503 beyond (the fake
 * provider, the real OpenAI-compatible driver, the real kernel), the pool learns N: from above
 * (a hosted API's start) and from below (a local server's), and no 503 reaches an agent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../fakes/fake-provider.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { Kernel } from '../../../kernel/kernel.js';
import type { LaneLimits } from '../../../kernel/sched/pool-limits.js';

const CAPACITY = 8;
const AGENTS = 32;
const TURNS = 12;

let fake: FakeProvider;
let kernel: Kernel | undefined;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-adaptive-'));
  fake = await startFakeProvider({
    latencyMs: 40,
    maxConcurrent: CAPACITY,
    reply: (ctx) => {
      const done = ctx.messages.filter((m) => m.role === 'model').length;
      return done + 1 >= TURNS ? '[SYS_CALL::SYS_EXIT] {"code":0}' : `[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${done}"}`;
    },
  });
  vi.stubEnv('OPENAI_BASE_URL', `${fake.url}/v1`);
  vi.stubEnv('OPENAI_API_KEY', 'sk-test');
});
afterEach(async () => {
  await kernel?.shutdown();
  kernel = undefined;
  await fake.close();
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

async function run(
  limits: Record<string, LaneLimits>,
): Promise<{ limits: number[]; errors: KernelEvent[]; exitCodes: Array<number | null | undefined> }> {
  const k = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: [],
    modelLimits: limits,
    modelRetry: { backoffBaseMs: 50, backoffMaxMs: 400 },
  });
  kernel = k;
  const errors: KernelEvent[] = [];
  k.events.subscribe((e) => {
    if (e.type === 'error') errors.push(e);
  });
  const seen: number[] = [];
  // Sampled once the lane exists: the driver loads on the first spawn, and how long that takes is no part of this test.
  const timer = setInterval(() => {
    const lane = k.stats().providers.find((p) => p.provider === 'openai');
    if (lane) seen.push(lane.limit ?? -1);
  }, 20);
  const pcbs = await Promise.all(
    Array.from({ length: AGENTS }, (_, i) => k.spawn({ task: 'go', model: 'openai:m', name: `a${i}` })),
  );
  const ended = await Promise.all(pcbs.map((p) => k.waitExit(p.pid)));
  clearInterval(timer);
  return { limits: seen, errors, exitCodes: ended.map((p) => p.exitCode) };
}

describe('adaptive concurrency against a provider with a capacity', () => {
  it('from above: a burst of 503s, absorbed, and the limit comes down near the capacity', async () => {
    const r = await run({ openai: { start: 1024 } });
    expect(r.errors).toEqual([]);
    expect(r.exitCodes).toEqual(r.exitCodes.map(() => 0));
    expect(fake.stats().capacityRejections).toBeGreaterThan(0);
    expect(r.limits[0]).toBe(1024);
    const settled = r.limits.slice(r.limits.length / 2);
    expect(Math.max(...settled)).toBeLessThanOrEqual(3 * CAPACITY);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(CAPACITY / 2);
  }, 60_000);

  it('from below (127.0.0.1 is a local server): grows to the capacity, and a refusal stops it', async () => {
    const r = await run({});
    expect(r.errors).toEqual([]);
    expect(r.exitCodes).toEqual(r.exitCodes.map(() => 0));
    expect(r.limits[0]).toBe(4);
    expect(Math.max(...r.limits)).toBeGreaterThanOrEqual(CAPACITY);
    const settled = r.limits.slice(r.limits.length / 2);
    expect(Math.max(...settled)).toBeLessThanOrEqual(3 * CAPACITY);
  }, 60_000);
});
