/**
 * History for the sparklines: kernel-wide tokens/s, cumulative cost and each process's tokens/s,
 * sampled into fixed time steps and bounded. Pure: the reducer samples on every stats push.
 */

/** One sample per step: stats pushes come up to 4 times a second, far denser than a sparkline needs. */
export const TREND_STEP_MS = 2_000;
/** Samples kept: wider than any sparkline drawn. */
export const TREND_KEEP = 120;

export interface Trend {
  /** The step (time / TREND_STEP_MS) of the newest sample; -1 before the first. */
  step: number;
  rate: readonly number[];
  /** Kernel cost so far (cumulative), one per step. */
  cost: readonly number[];
  /** Tokens/s per process, newest last; a process seen later has a shorter series. */
  procs: ReadonlyMap<number, readonly number[]>;
}

export interface TrendSample {
  at: number;
  rate: number;
  cost: number;
  /** The processes to keep (others are dropped) and their tokens/s now. */
  procs: ReadonlyMap<number, number>;
}

export const EMPTY_TREND: Trend = { step: -1, rate: [], cost: [], procs: new Map() };

/**
 * Adds a sample: within the newest step it replaces that step's value (the latest wins); after a
 * gap (no pushes while nothing happened) the skipped steps take the new rate and the old cost.
 */
export function sampleTrend(trend: Trend, sample: TrendSample): Trend {
  const step = Math.floor(sample.at / TREND_STEP_MS);
  const same = trend.step >= 0 && step <= trend.step;
  const gap = same || trend.step < 0 ? 0 : Math.min(TREND_KEEP, step - trend.step - 1);
  const procs = new Map<number, readonly number[]>();
  for (const [pid, rate] of sample.procs) {
    const before = trend.procs.get(pid);
    procs.set(pid, extend(before ?? [], rate, same && before !== undefined, gap, rate));
  }
  return {
    step: Math.max(step, trend.step),
    rate: extend(trend.rate, sample.rate, same, gap, sample.rate),
    cost: extend(trend.cost, sample.cost, same, gap, trend.cost.at(-1) ?? sample.cost),
    procs,
  };
}

function extend(series: readonly number[], value: number, replace: boolean, gap: number, fill: number): number[] {
  const head = replace ? series.slice(0, -1) : [...series];
  for (let i = 0; i < gap && series.length > 0; i++) head.push(fill);
  head.push(value);
  return head.slice(-TREND_KEEP);
}
