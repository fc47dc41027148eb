/** The scheduler's dispatch: a lease granted to a process that is still alive starts its turn; otherwise it goes back. */
import type { Lease } from '../sched/model-pool.js';
import { isEnded } from '../../sys/types.js';
import type { LoopHost } from './host.js';
import { runTurn } from './turn.js';

export function startTurn(host: LoopHost, pid: number, lease: Lease): void {
  const proc = host.table.get(pid);
  if (!proc || isEnded(proc.pcb.state) || host.closing) {
    host.scheduler.release(lease);
    return;
  }
  void runTurn(host, proc, lease);
}
