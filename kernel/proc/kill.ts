/**
 * Kill follows xv6: mark the process, abort what is in flight, and let the turn loop reap it. A
 * crossed budget or an error inside the kernel ends a process the same way, with its reason.
 * The mark is stored with the process: a kill acknowledged (once committed) whose reap a crash or a
 * stop cut short is carried out by the next start (recovery.ts), never undone.
 */
import { AosError, interruption } from '../../sys/errno.js';
import { isEnded } from '../../sys/types.js';
import type { ProcCore } from './api.js';
import { finish } from './lifecycle.js';
import type { Proc } from './proc.js';
import { persist } from './proc-runtime.js';

export function requestKill(
  k: ProcCore,
  proc: Proc,
  reason: string,
  state: 'killed' | 'exited' = 'killed',
  code = 137,
): void {
  proc.requestKill({ reason, state, code });
  proc.abort.abort(interruption(reason));
  // A queued process is in no turn that could reap it.
  if (k.scheduler.remove(proc.pid) || proc.idle) finish(k, proc, state, code, reason);
  else persist(k.store, proc);
}

/** Kill a process (and by default its subtree). Returns the pids that were live and are now being killed. */
export function kill(k: ProcCore, pid: number, options: { tree?: boolean } = {}): number[] {
  const target = k.table.get(pid);
  if (!target) {
    if (k.table.endedPcb(pid)) return [];
    throw new AosError('ESRCH', `no such process ${pid}`);
  }
  const victims = options.tree === false ? [target] : k.table.subtree(target);
  const killed: number[] = [];
  for (const proc of victims) {
    if (isEnded(proc.pcb.state) || proc.killRequested) continue;
    requestKill(k, proc, proc === target ? 'killed' : `killed with its ancestor ${pid}`);
    killed.push(proc.pid);
  }
  return killed;
}

/** A crossed budget ends the process (exit code 1) the way a kill does: wherever it is. */
export function endForBudget(k: ProcCore, proc: Proc, reason: string): void {
  if (isEnded(proc.pcb.state) || proc.killRequested) return;
  requestKill(k, proc, reason, 'exited', 1);
}

/**
 * Something went wrong inside the kernel while it worked for this process (not the model's fault):
 * the process ends with the reason, the kernel goes on.
 */
export function endForKernelError(k: ProcCore, proc: Proc, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message.startsWith('kernel error:') ? message : `kernel error: ${message}`;
  if (isEnded(proc.pcb.state) || proc.killRequested) return;
  k.log(
    'error',
    `process ${proc.pid} ended: ${reason}${error instanceof Error && error.stack ? `\n${error.stack}` : ''}`,
  );
  k.events.emit({ type: 'error', pid: proc.pid, message: reason });
  requestKill(k, proc, reason, 'exited', 1);
}
