import { describe, expect, it } from 'vitest';
import { EMPTY_TREND, sampleTrend, TREND_KEEP, TREND_STEP_MS, type Trend } from '../../../cmd/top/trend.js';

const T = 1_000 * TREND_STEP_MS;
const at = (step: number, offset = 0): number => T + step * TREND_STEP_MS + offset;
const procs = (entries: Array<[number, number]> = []): Map<number, number> => new Map(entries);

function run(samples: Array<{ at: number; rate: number; cost: number; procs?: Map<number, number> }>): Trend {
  return samples.reduce<Trend>((t, s) => sampleTrend(t, { procs: procs(), ...s }), EMPTY_TREND);
}

describe('sampleTrend', () => {
  it('keeps one sample per step, the latest in a step winning', () => {
    const t = run([
      { at: at(0), rate: 1, cost: 0.1 },
      { at: at(0, 500), rate: 3, cost: 0.2 },
      { at: at(1), rate: 5, cost: 0.4 },
    ]);
    expect(t.rate).toEqual([3, 5]);
    expect(t.cost).toEqual([0.2, 0.4]);
  });

  it('fills the steps skipped while nothing was pushed: the new rate, the old cost', () => {
    const t = run([
      { at: at(0), rate: 8, cost: 1 },
      { at: at(3), rate: 0, cost: 1.5 },
    ]);
    expect(t.rate).toEqual([8, 0, 0, 0]);
    expect(t.cost).toEqual([1, 1, 1, 1.5]);
  });

  it('stays bounded, however long it runs or however long the gap', () => {
    const long = run(Array.from({ length: TREND_KEEP * 3 }, (_, i) => ({ at: at(i), rate: i, cost: i })));
    expect(long.rate).toHaveLength(TREND_KEEP);
    expect(long.rate.at(-1)).toBe(TREND_KEEP * 3 - 1);
    const gap = run([
      { at: at(0), rate: 1, cost: 1 },
      { at: at(1_000_000), rate: 2, cost: 2 },
    ]);
    expect(gap.rate).toHaveLength(TREND_KEEP);
  });

  it('keeps a series per process given, and drops the processes no longer given', () => {
    const t = run([
      { at: at(0), rate: 1, cost: 0, procs: procs([[1, 1]]) },
      {
        at: at(1),
        rate: 3,
        cost: 0,
        procs: procs([
          [1, 1],
          [2, 2],
        ]),
      },
      { at: at(2), rate: 2, cost: 0, procs: procs([[2, 2]]) },
    ]);
    expect(t.procs.has(1)).toBe(false);
    expect(t.procs.get(2)).toEqual([2, 2]);
  });

  it('does not go back when the clock does, and does not change the trend it was given', () => {
    const first = run([{ at: at(5), rate: 4, cost: 1 }]);
    const back = sampleTrend(first, { at: at(2), rate: 6, cost: 2, procs: procs() });
    expect(back.step).toBe(first.step);
    expect(back.rate).toEqual([6]);
    expect(first.rate).toEqual([4]);
  });
});
