/** A recorded run for the tape tests (record.test.ts, eval.test.ts) and how two event streams are compared. */
import type { KernelEvent } from '../../../protocol/events.js';
import { call } from '../../helpers/kernel-harness.js';

/** Seven turns: write, run, read, a failing read, run, read and write at once, exit. */
export const RUN = [
  call('FS_WRITE', { path: 'notes/plan.txt', content: 'one\ntwo\n' }),
  call('EXEC_CMD', { cmd: 'wc -l < notes/plan.txt > notes/count.txt; cat notes/count.txt' }),
  call('FS_READ', { path: 'notes/count.txt' }),
  `Checking a file that is not there.\n${call('FS_READ', { path: 'missing.txt' })}`,
  call('EXEC_CMD', { cmd: 'date +%s%N > stamp.txt; echo ok' }),
  `${call('FS_READ', { path: 'notes/plan.txt' })}\n${call('FS_WRITE', { path: 'done.txt', content: 'yes' })}`,
  call('SYS_EXIT', { code: 0, result: 'counted' }),
];

/** The stream with what differs between two runs by nature taken out: times, durations, pids (as first seen), tape paths, a command's clock. */
export function normalised(events: readonly KernelEvent[]): unknown[] {
  const pids = new Map<number, number>();
  const pidOf = (pid: number): number => {
    if (!pids.has(pid)) pids.set(pid, pids.size + 1);
    return pids.get(pid) as number;
  };
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    // A result as the model read it holds its duration too.
    if (typeof value === 'string') return value.replace(/"duration_ms":\d+/g, '"duration_ms":0');
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => !['ts', 'duration_ms', 'model'].includes(key))
        .map(([key, v]) => [
          key,
          ['pid', 'ppid', 'from_pid', 'to_pid'].includes(key) && typeof v === 'number' && v > 0 ? pidOf(v) : strip(v),
        ]),
    );
  };
  return events.map(strip);
}
