/**
 * `aos logs --unit NAME` (journalctl -u): the events of a unit's runs and their descendants, and its
 * trigger's firings, skipped ones too. The runs are the unit's kept firings (unit_runs); with -f a
 * run started later joins by its trigger event, and a child by its spawn.
 */
import type { KernelClient } from '../client/client.js';
import type { KernelEvent } from '../protocol/events.js';
import type { ProcRow } from '../protocol/views.js';

/** Which processes' events `aos logs` without a pid prints. */
export interface LogScope {
  /** The history's processes: a scope that follows trees finds the descendants among them. */
  seed(procs: readonly ProcRow[]): void;
  /** Whether an event is in scope; seen in order, an event may widen the scope (a run started, a child spawned). */
  keeps(event: KernelEvent): boolean;
}

export const EVERY_PROCESS: LogScope = { seed: () => undefined, keeps: () => true };

/** The most firings a unit keeps (kernel/store/unit-rows.ts UNIT_RUNS_KEPT), all asked for. */
const RUNS_KEPT = 1_000;

export async function unitScope(client: KernelClient, unit: string, tree: boolean): Promise<LogScope> {
  // An unknown unit is refused here (ESRCH, naming the units there are).
  const { runs } = await client.request('unit_runs', { name: unit, limit: RUNS_KEPT });
  const pids = new Set(runs.flatMap((r) => (r.pid === null ? [] : [r.pid])));
  return {
    seed(procs) {
      if (!tree) return;
      for (let grew = true; grew;) {
        grew = false;
        for (const p of procs) {
          if (pids.has(p.pid) || !pids.has(p.ppid)) continue;
          pids.add(p.pid);
          grew = true;
        }
      }
    },
    keeps(event) {
      if (event.type === 'trigger' && event.unit === unit) {
        if (event.outcome === 'started' && event.pid > 0) pids.add(event.pid);
        return true;
      }
      if (tree && event.type === 'state' && event.from === null && event.ppid !== undefined && pids.has(event.ppid))
        pids.add(event.pid);
      return pids.has(event.pid);
    },
  };
}
