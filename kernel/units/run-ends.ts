/**
 * How a unit's runs ended, beside the record of their firing: a firing's outcome is `started` for
 * good, and a run that then exited 1 read as a success in `aos unit ls` (issue 51.4). A run failed as
 * its restart policy counts it (restarts.ts): killed, or an exit code other than 0.
 */
import { UNIT_FAILING_SCAN } from '../../protocol/unit-results.js';
import type { UnitRunRecord } from '../store/api.js';
import type { UnitsHost } from './unit-types.js';

export interface RunEnd {
  state: 'exited' | 'killed';
  code: number | null;
  reason: string | null;
}

/** A firing with how its run ended: null while it runs, or when it started none (or its process is gone from the store). */
export type UnitRun = UnitRunRecord & { end: RunEnd | null };

const failedEnd = (end: RunEnd): boolean => end.state === 'killed' || (end.code ?? 0) !== 0;

export function withEnd(run: UnitRunRecord, endOf: UnitsHost['endOf']): UnitRun {
  return { ...run, end: run.outcome === 'started' && run.pid !== null ? endOf(run.pid) : null };
}

/**
 * Its firings that failed in a row, newest first, up to FAILING_SCAN: a run that ended failed, or a
 * firing that could not start one. Runs still going, skips and queued firings are passed over.
 */
export function failingInARow(runs: readonly UnitRunRecord[], endOf: UnitsHost['endOf']): number {
  let failing = 0;
  for (const run of runs.slice(0, UNIT_FAILING_SCAN)) {
    if (run.outcome === 'failed') {
      failing++;
      continue;
    }
    const { end } = withEnd(run, endOf);
    if (end === null) continue;
    if (!failedEnd(end)) break;
    failing++;
  }
  return failing;
}
