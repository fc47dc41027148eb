/**
 * Budgets over time in a real kernel, on a clock the test moves: a request reserves its prompt and
 * its reply's bound before it is sent, processes racing one budget overspend it by at most one reply and are all paused — blocked
 * (budget), never killed — the warning comes once at 80 %, the window rolls at the clock's midnight
 * and the paused go on, a raise lets them go on at once, spend is read back after a restart, and a
 * model a dollar budget cannot price ends the process saying so.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Kernel } from '../../kernel/kernel.js';
import { NO_COST_POLICY, type CostPolicy } from '../../kernel/cost/cost-policy.js';
import { toBudgetSpecs } from '../../kernel/cost/budget-spec.js';
import type { KernelEvent } from '../../protocol/events.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

/** Every reply: 1,000 prompt and 200 output tokens; priced below at $1 and $10 per 1M: $0.003 a request. */
const USAGE = { prompt: 1_000, output: 200 };
const REQUEST_USD = 0.003;

let dir = '';
let kernel: Kernel | null = null;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-budgets-'));
});
afterEach(async () => {
  await kernel?.close();
  kernel = null;
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

/** A tape of `turns` priced replies for each name, and AOS_PRICES pricing it. */
async function pricedTape(names: string[], turns: number): Promise<string> {
  const tape = path.join(dir, 'tape.yaml');
  // Each entry its own object: YAML would write one object met twice as an alias, which tapes refuse.
  // Each turn writes another line: identical turns in a row would be ended as a loop.
  const entries = (): unknown[] => [
    ...Array.from({ length: turns }, (_, i) => ({
      reply: call('SYS_WRITE_STDOUT', { text: `tick ${i}` }),
      usage: { ...USAGE },
    })),
    { reply: EXIT, usage: { ...USAGE } },
  ];
  await writeFile(tape, YAML.stringify({ agents: Object.fromEntries(names.map((n) => [n, entries()])) }));
  const prices = path.join(dir, 'prices.json');
  await writeFile(prices, JSON.stringify({ [tape]: { prompt: 1, output: 10 } }));
  vi.stubEnv('AOS_PRICES', prices);
  return tape;
}

function cost(budgets: unknown[]): CostPolicy {
  return { ...NO_COST_POLICY, budgets: toBudgetSpecs(budgets as Parameters<typeof toBudgetSpecs>[0], 'policy.yaml') };
}

async function open(clock: FakeClock, policy: CostPolicy, storeFile = path.join(dir, 'aos.db')): Promise<Kernel> {
  kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ['fs.read:/**'],
    storeFile,
    cwd: dir,
    clock,
    cost: policy,
  });
  return kernel;
}

type Budget = Extract<KernelEvent, { type: 'budget' }>;

describe('budgets over time', () => {
  it('50 processes racing a $1 daily budget overspend it by at most one request, and all end up paused, not killed', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `w${i}`);
    const tape = await pricedTape(names, 40);
    const clock = new FakeClock(Date.parse('2026-11-24T10:00:00Z'));
    const k = await open(clock, cost([{ kernel: true, daily_usd: 1, tz: 'UTC' }]));
    const events: Budget[] = [];
    k.events.subscribe((e) => e.type === 'budget' && events.push(e));
    const pcbs = await Promise.all(names.map((name) => k.spawn({ task: 't', model: `replay:${tape}`, name })));
    await until(() => pcbs.every((p) => k.pcb(p.pid)?.state === 'blocked'), 20_000, 'every process paused');
    const [count] = k.budgets.current('kernel');
    expect(count?.usd).toBeGreaterThanOrEqual(1 - REQUEST_USD);
    expect(count?.usd).toBeLessThanOrEqual(1 + REQUEST_USD + 1e-9);
    for (const p of pcbs)
      expect(k.pcb(p.pid)).toMatchObject({ state: 'blocked', wait: { kind: 'budget', budget: 'kernel' } });
    // The warning once, the limit once, a pause per process.
    expect(events.filter((e) => e.state === 'warning')).toHaveLength(1);
    expect(events.filter((e) => e.state === 'exhausted')).toHaveLength(1);
    expect(new Set(events.filter((e) => e.state === 'paused').map((e) => e.pid)).size).toBe(50);
    // Spent is what the processes were charged, request by request.
    const charged = pcbs.reduce((sum, p) => sum + (k.pcb(p.pid)?.counters.cost ?? 0), 0);
    expect(count?.usd).toBeCloseTo(charged, 9);
  }, 30_000);

  it("resumes the paused at the clock's midnight in the budget's time zone, and at once when a person raises it", async () => {
    const tape = await pricedTape(['a'], 30);
    const clock = new FakeClock(Date.parse('2026-11-24T20:00:00Z'));
    // $0.01: three requests ($0.009); a fourth's prompt alone (~2.9k tokens, $0.0029) does not fit what is left. Midnight in Berlin is 23:00 UTC.
    const k = await open(clock, cost([{ process: 'a', daily_usd: 0.01, tz: 'Europe/Berlin' }]));
    const pcb = await k.spawn({ task: 't', model: `replay:${tape}`, name: 'a' });
    await until(() => k.pcb(pcb.pid)?.state === 'blocked');
    const turnsBefore = k.pcb(pcb.pid)?.counters.turns ?? 0;
    expect(turnsBefore).toBe(3);
    await clock.advance(2.5 * 3600_000); // 22:30 UTC: not yet midnight in Berlin
    expect(k.pcb(pcb.pid)?.state).toBe('blocked');
    await clock.advance(3600_000); // 23:30 UTC: the next day there
    await until(() => (k.pcb(pcb.pid)?.counters.turns ?? 0) > turnsBefore && k.pcb(pcb.pid)?.state === 'blocked');
    expect(k.budgets.current('process-a')[0]?.window).toBe('daily:2026-11-25');
    const paused = k.pcb(pcb.pid)?.counters.turns ?? 0;
    k.budgets.raise('process-a', null, { usd: 0.01, tokens: 0 }, 'test');
    await until(() => (k.pcb(pcb.pid)?.counters.turns ?? 0) > paused && k.pcb(pcb.pid)?.state === 'blocked');
  });

  it('reads spend back after a restart: a new kernel does not start the day at zero', async () => {
    const tape = await pricedTape(['a', 'b'], 30);
    const clock = new FakeClock(Date.parse('2026-11-24T10:00:00Z'));
    const policy = cost([{ kernel: true, daily_usd: 0.02, tz: 'UTC' }]);
    let k = await open(clock, policy);
    const a = await k.spawn({ task: 't', model: `replay:${tape}`, name: 'a' });
    await until(() => k.pcb(a.pid)?.state === 'blocked');
    const spent = k.budgets.current('kernel')[0]?.usd ?? 0;
    expect(spent).toBeGreaterThan(0.015);
    await k.close();
    k = await open(clock, policy);
    expect(k.budgets.current('kernel')[0]?.usd).toBeCloseTo(spent, 9);
    // A new process is paused at its first turn: the day's budget is still spent.
    const b = await k.spawn({ task: 't', model: `replay:${tape}`, name: 'b' });
    await until(() => k.pcb(b.pid)?.state === 'blocked');
    expect(k.pcb(b.pid)?.counters.turns).toBe(0);
  });

  it('counts each unit on its own, and tokens as well as dollars', async () => {
    const tape = await pricedTape(['x', 'y'], 30);
    const clock = new FakeClock(Date.parse('2026-11-24T10:00:00Z'));
    const k = await open(clock, cost([{ unit: '*', daily_tokens: 3_600, tz: 'UTC' }]));
    const x = await k.spawn({ task: 't', model: `replay:${tape}`, name: 'x', unit: 'ux' });
    const y = await k.spawn({ task: 't', model: `replay:${tape}`, name: 'y', unit: 'uy' });
    await until(() => k.pcb(x.pid)?.state === 'blocked' && k.pcb(y.pid)?.state === 'blocked');
    // Each unit's count is its own run's spend, every token its provider reported; neither counts the other's.
    const counts = k.budgets.current('unit-_').map((c) => [c.key, c.tokens]);
    const charged = (pid: number): number =>
      (k.pcb(pid)?.counters.promptTokens ?? 0) + (k.pcb(pid)?.counters.outputTokens ?? 0);
    expect(counts.sort()).toEqual([
      ['unit:ux', charged(x.pid)],
      ['unit:uy', charged(y.pid)],
    ]);
    expect(charged(x.pid)).toBeGreaterThanOrEqual(1_200);
    expect(charged(x.pid) % 1_200).toBe(0);
  });

  it('ends a process whose model a dollar budget cannot price, saying so (never counted as $0)', async () => {
    const tape = path.join(dir, 'free.yaml');
    await writeFile(tape, YAML.stringify({ agents: { root: [EXIT] } }));
    vi.stubEnv('OPENAI_BASE_URL', 'http://127.0.0.1:9/v1');
    const clock = new FakeClock();
    const k = await open(clock, cost([{ kernel: true, daily_usd: 1 }]));
    const pcb = await k.spawn({ task: 't', model: 'openai:llama3.1:8b' });
    const ended = await k.waitExit(pcb.pid);
    expect(ended.exitCode).toBe(1);
    expect(ended.exitReason).toMatch(
      /^budget: model openai:llama3.1:8b has no price, and budget kernel counts dollars/,
    );
  });
});
