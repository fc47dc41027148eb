/**
 * The thread-context interceptor: what a process's context threads (kernel/ipc/threads.ts) add to
 * its requests. Its part of the system prompt shows the threads attached to it (ipc/thread-prompt.ts);
 * before each turn it brings the rolling summaries of the threads the process uses up to date
 * (thread-summary.ts), first — an attached thread is shown with its summary current. Installed for
 * a process that was attached a thread or used one (model-chain.ts, its table): no other runs its code.
 */
import type { ModelDriver } from '../../drivers/llm/types.js';
import { ModelStop } from '../../drivers/llm/types.js';
import { BudgetSpent } from '../cost/budgets.js';
import { attachedThreads } from '../ipc/thread-prompt.js';
import type { Threads } from '../ipc/threads.js';
import type { Proc } from '../proc/proc.js';
import type { Lease } from '../sched/model-pool.js';
import type { LoopHost } from './host.js';
import type { ModelInterceptor } from './host.js';
import { summarizeThread, summaryDue } from './thread-summary.js';

export type ThreadHost = LoopHost & {
  readonly threads: Threads;
  /** An attached thread as `proc` is shown it: outside entries framed and tainting it (kernel/safety), or as it is. */
  attachedThread?<V extends object>(proc: Proc, key: string, view: V): V;
};

export function threadContext(host: ThreadHost): ModelInterceptor {
  return {
    system: (proc) =>
      proc.pcb.threads?.length
        ? attachedThreads(
            host.threads,
            proc,
            host.attachedThread && ((key, view) => host.attachedThread!(proc, key, view)),
          )
        : '',
    prepare: (turn) => threadUpkeep(host, turn.proc, turn.driver, turn.lease),
  };
}

/** Bring the summaries of the threads this process uses up to date; null (nothing to await) when none is behind. */
function threadUpkeep(kernel: ThreadHost, proc: Proc, driver: ModelDriver, lease: Lease): Promise<void> | null {
  const threads = kernel.threads;
  if (!proc.pcb.threads?.length && !threads.uses(proc.pid)) return null;
  // The threads it used, and those attached to it: a summary brought up to date before its first turn is the one it is shown.
  const used = new Set([...threads.touchedBy(proc.pid), ...(proc.pcb.threads ?? [])]);
  const due = [...used].filter((key) => summaryDue(threads, key));
  if (due.length === 0) return null;
  return (async () => {
    for (const key of due) {
      if (!threads.claim(key)) continue;
      try {
        await summarizeThread(kernel, threads, proc, driver, lease, key);
      } catch (error) {
        // A budget that refuses the summary pauses the process (its turn would be refused too); a kill ends it.
        if (proc.abort.signal.aborted || error instanceof BudgetSpent || error instanceof ModelStop) throw error;
        // The summary stays as it was: the entries are all kept, and the next turn tries again.
        kernel.log(
          'warn',
          `thread ${key}: summary not brought up to date for process ${proc.pid}: ${(error as Error).message}`,
        );
      } finally {
        threads.release(key);
      }
    }
  })();
}
