/**
 * Issue 47.3: every model request the kernel makes counts against the budgets that cover it. Three
 * evals once sent 76k tokens while a `kernel: true` budget read 0. Here an eval's requests are counted
 * by the kernel's budget (and an eval refused when it is spent fails saying so; one refused only for
 * the room requests in flight hold waits for them), a context compaction's summary is counted with
 * the turns, and a fork's turns are counted and paused like any process's.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { evalTapes } from '../../../kernel/tapes/eval.js';
import { until } from '../../helpers/until.js';
import { atRest, type BudgetKernel, budgetKernel, FAKE_MODEL, reported } from './budget-fixture.js';

let k: BudgetKernel | null = null;
afterEach(async () => {
  await k?.close();
  k = null;
});

const writeLine = (agent: string, turn: number): string =>
  `[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${agent} turn ${turn}"}`;

/** A recorded run of `turns` turns whose every reply is the one the fake model gives: an eval plays it to the end. */
async function recordedTape(dir: string, name: string, turns: number, sentChars = 2_000): Promise<string> {
  const file = path.join(dir, name);
  const agents = {
    root: Array.from({ length: turns }, (_, i) => ({
      reply: writeLine('root', i),
      sent: `[SYS_RESULT::SYS_WRITE_STDOUT] {"ok":true} ${'x'.repeat(sentChars)} ${i}`,
    })),
  };
  const recorded = {
    pid: 1,
    agent: 'root',
    model: FAKE_MODEL,
    system: 'You are root.',
    turns,
    prompt_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    ended: { state: 'exited', code: 0 },
  };
  await writeFile(file, YAML.stringify({ agents, recorded }, { lineWidth: 0 }));
  return file;
}

const kernelCount = (b: BudgetKernel): number => b.kernel.budgets.current('kernel')[0]?.tokens ?? 0;

describe('every model request under the budgets', () => {
  it("counts an eval's requests against a kernel budget, and fails an eval the budget refuses, saying so", async () => {
    k = await budgetKernel([{ kernel: true, daily_tokens: 6_000, tz: 'UTC' }], () => ({ output: 200 }));
    const tape = await recordedTape(k.dir, 'run.yaml', 3);
    const [first] = await evalTapes(k.kernel, { tapes: [tape], models: [FAKE_MODEL], cwd: k.dir });
    expect(first).toMatchObject({ turns: 3, diverged: null, ended: { state: 'exited' } });
    expect(k.sent).toHaveLength(3);
    expect(kernelCount(k)).toBe(reported(k.sent));
    expect(kernelCount(k)).toBeGreaterThan(2_000);
    // What is left does not take a whole run: the eval stops at the first request that does not fit.
    const [second] = await evalTapes(k.kernel, { tapes: [tape], models: [FAKE_MODEL], cwd: k.dir });
    expect(second?.ended.state).toBe('failed');
    expect(second?.ended.reason).toMatch(/budget kernel \(kernel, daily\): \d+ tokens of 6000 tokens spent.*resets at/);
    expect(kernelCount(k)).toBe(reported(k.sent));
    expect(kernelCount(k)).toBeLessThanOrEqual(6_000);
  });

  it('makes an eval wait, not fail, while only requests in flight hold the room', async () => {
    // Each request holds ~0.6k of prompt and the 8,192-token bound: two at once do not fit 9,500, one after the other do.
    k = await budgetKernel([{ kernel: true, daily_tokens: 9_500, tz: 'UTC' }], () => ({ output: 100, delayMs: 20 }));
    const tapes = [await recordedTape(k.dir, 'a.yaml', 2), await recordedTape(k.dir, 'b.yaml', 2)];
    const runs = await evalTapes(k.kernel, { tapes, models: [FAKE_MODEL], cwd: k.dir });
    expect(runs.map((r) => r.ended.state)).toEqual(['exited', 'exited']);
    expect(kernelCount(k)).toBe(reported(k.sent));
  });

  it("counts a context compaction's summary with the turns", async () => {
    // A 4,000-token context and 3k-token results: it compacts within a few turns.
    k = await budgetKernel([{ kernel: true, daily_tokens: 1_000_000, tz: 'UTC' }], (request) => ({
      output: 300,
      text: request.system.startsWith('You compress')
        ? 'the summary'
        : `[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${'y'.repeat(3_000)} ${request.proc.turn}"}`,
    }));
    const pcb = await k.kernel.spawn({
      task: 'write',
      model: FAKE_MODEL,
      name: 'writer',
      maxTurns: 8,
      contextTokens: 4_000,
    });
    await k.kernel.waitExit(pcb.pid);
    const summaries = k.sent.filter((s) => s.request.system.startsWith('You compress'));
    expect(summaries.length).toBeGreaterThan(0);
    expect(kernelCount(k)).toBe(reported(k.sent));
  });

  it("counts a fork's turns, and pauses a fork the budget refuses", async () => {
    // The origin (pid 1) exits at its turn 2; its fork from turn 1 goes on until the budget refuses it.
    k = await budgetKernel([{ kernel: true, daily_tokens: 20_000, tz: 'UTC' }], (request) => ({
      output: 200,
      ...(request.proc.pid === 1 && request.proc.turn >= 2 ? { text: '[SYS_CALL::SYS_EXIT] {"code":0}' } : {}),
    }));
    const origin = await k.kernel.spawn({ task: 'work', model: FAKE_MODEL, name: 'origin', maxTurns: 50 });
    await k.kernel.waitExit(origin.pid);
    const before = k.sent.length;
    const fork = await k.kernel.fork({ pid: origin.pid, turn: 1 });
    await until(() => atRest(k!.kernel, [fork.pcb.pid]), 10_000, 'the fork at rest');
    expect(k.sent.length).toBeGreaterThan(before);
    expect(kernelCount(k)).toBe(reported(k.sent));
    expect(k.kernel.pcb(fork.pcb.pid)).toMatchObject({ state: 'blocked', wait: { kind: 'budget', budget: 'kernel' } });
    expect(kernelCount(k)).toBeLessThanOrEqual(20_000);
  });
});
