/**
 * Red team (issue 47.2): racers against one budget. 20 detached processes with ~25k-token tasks
 * against `kernel: {daily_tokens: 40000}` once spent 254 % of it: each was admitted on a 2,000-token
 * first-turn guess. A request now reserves its prompt as it will be sent and its reply's bound (the
 * max output tokens it carries), and is admitted while its prompt fits: whatever the number of
 * racers, their prompt sizes and their replies, the budget is overrun by at most one reply's bound.
 * A real kernel, the real budget code, a fake provider whose usage figures the property chooses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { param } from '../../sys/param.js';
import { until } from '../helpers/until.js';
import { atRest, budgetKernel, FAKE_MODEL, reported } from '../kernel/cost/budget-fixture.js';

const BOUND = param.modelMaxOutputTokens;

/** A task of about `tokens` tokens (the estimator's four characters a token). */
const task = (tokens: number, i: number): string =>
  `Task ${i}: ${'lorem ipsum '.repeat(Math.ceil((tokens * 4) / 12))}`.slice(0, tokens * 4);

async function race(
  cap: number,
  tasks: number[],
  outputs: (index: number) => number,
  delay: (index: number) => number,
): Promise<{ spent: number; counted: number; requests: number }> {
  const k = await budgetKernel([{ kernel: true, daily_tokens: cap, tz: 'UTC' }], (_request, index) => ({
    output: outputs(index),
    delayMs: delay(index),
  }));
  try {
    const pcbs = await Promise.all(
      tasks.map((tokens, i) => k.kernel.spawn({ task: task(tokens, i), model: FAKE_MODEL, name: `racer-${i}` })),
    );
    const pids = pcbs.map((p) => p.pid);
    await until(
      () => atRest(k.kernel, pids) && (k.kernel.budgets.current('kernel')[0]?.inFlight ?? 0) === 0,
      30_000,
      'every racer at rest',
    );
    const count = k.kernel.budgets.current('kernel')[0];
    return { spent: reported(k.sent), counted: count?.tokens ?? 0, requests: k.sent.length };
  } finally {
    await k.close();
  }
}

describe('red team: racers against one budget', () => {
  it('20 racers with ~25k-token tasks against 40,000 tokens a day: overrun by at most one reply, everything counted', async () => {
    const { spent, counted } = await race(
      40_000,
      Array.from({ length: 20 }, () => 25_000),
      () => 1_000,
      () => 20,
    );
    expect(counted).toBe(spent);
    expect(spent).toBeLessThanOrEqual(40_000 + BOUND);
    // Not starved either: one racer's request went through.
    expect(spent).toBeGreaterThan(25_000);
  }, 60_000);

  it('a lone process whose next prompt does not fit what is left is paused, not let through', async () => {
    // 26k a turn against 40k: the second turn's prompt (~26k) does not fit the ~14k left.
    const { spent, requests } = await race(
      40_000,
      [25_000],
      () => 500,
      () => 0,
    );
    expect(requests).toBe(1);
    expect(spent).toBeLessThanOrEqual(40_000);
  }, 30_000);

  it('holds for any number of racers, prompt sizes, reply sizes and timings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 10_000, max: 120_000 }),
        fc.array(fc.integer({ min: 200, max: 24_000 }), { minLength: 1, maxLength: 24 }),
        fc.array(fc.integer({ min: 0, max: BOUND }), { minLength: 1, maxLength: 16 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 8 }),
        async (cap, tasks, outputs, delays) => {
          const at = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;
          const { spent, counted } = await race(
            cap,
            tasks,
            (i) => at(outputs, i),
            (i) => at(delays, i),
          );
          expect(counted).toBe(spent);
          expect(spent).toBeLessThanOrEqual(cap + BOUND);
        },
      ),
      { numRuns: 25 },
    );
  }, 240_000);
});
