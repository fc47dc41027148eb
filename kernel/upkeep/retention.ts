/**
 * What users do with docker's stopped containers: remove ended processes (`aos rm`), prune the old
 * ones (`aos prune --older-than 7d`), or let a retention setting do it. Their history leaves the
 * store; the kernel's totals and caches forget them too.
 */
import { AosError } from '../../sys/errno.js';
import type { ProcCore } from '../proc/api.js';
import type { ProcTable } from '../proc/table.js';
import { param } from '../../sys/param.js';
import type { ProcessSummary } from '../store/api.js';

/** What rm and prune need of the kernel. */
type RetentionHost = Pick<ProcCore, 'store' | 'disk' | 'log'> & { readonly table: ProcTable };

/** Rows removed per commit while pruning: each transaction stays short, the kernel keeps answering. */
const PRUNE_BATCH = 500;

/** Processes whose transcript rows a live fork begins with (kernel/fork.ts): their rows must stay. */
function referredByLiveForks(kernel: RetentionHost): Map<number, number> {
  const out = new Map<number, number>();
  for (const proc of kernel.table.procs()) for (const s of proc.pcb.fork?.segments ?? []) out.set(s.pid, proc.pid);
  return out;
}

async function forget(kernel: RetentionHost, given: readonly ProcessSummary[]): Promise<number[]> {
  const referred = referredByLiveForks(kernel);
  const rows = given.filter((r) => !referred.has(r.pid));
  const pids = rows.map((r) => r.pid);
  kernel.table.forgetEnded(rows);
  kernel.store.processes.remove(pids);
  await kernel.store.committed();
  return pids;
}

/** `aos rm`: these ended processes and their descendants (all of which must have ended). */
export async function removeProcesses(kernel: RetentionHost, pids: readonly number[]): Promise<number[]> {
  kernel.disk.refuseNewWork('rm');
  await kernel.store.flushed();
  const { processes } = kernel.store;
  const trees = await Promise.all(pids.map((pid) => processes.subtree(pid)));
  const summaries = await processes.summaries([...new Set(trees.flat())]);
  // Checked once the reads are in, nothing awaited from here until the rows go: no process starts or forks between.
  const forks = referredByLiveForks(kernel);
  pids.forEach((pid, i) => {
    const tree = trees[i] ?? [];
    if (tree.length === 0) throw new AosError('ESRCH', `no such process ${pid}`);
    const running = tree.find((p) => kernel.table.has(p));
    if (running === pid)
      throw new AosError('EBUSY', `process ${pid} is still running: stop it first (aos kill ${pid})`);
    if (running !== undefined)
      throw new AosError(
        'EBUSY',
        `process ${pid} has a running descendant ${running}: kill it first (aos kill ${pid})`,
      );
    const fork = tree.map((p) => forks.get(p)).find((f) => f !== undefined);
    if (fork !== undefined)
      throw new AosError(
        'EBUSY',
        `process ${pid}'s transcript is what the running fork ${fork} began with: it stays while the fork runs (aos kill ${fork} first)`,
      );
  });
  const removed = await forget(kernel, summaries);
  return removed.sort((a, b) => a - b);
}

/** `aos prune`: every ended process that ended before `before` (ms) and that nothing live still needs. */
export async function pruneProcesses(kernel: RetentionHost, before: number): Promise<number[]> {
  kernel.disk.refuseNewWork('prune');
  await kernel.store.flushed();
  const removed: number[] = [];
  for (;;) {
    const rows = await kernel.store.processes.prunable(before, PRUNE_BATCH);
    const now = rows.length === 0 ? [] : await forget(kernel, rows);
    // None removable in the oldest batch (live forks refer to them all): the rest waits for the next sweep.
    if (now.length === 0) return removed.sort((a, b) => a - b);
    removed.push(...now);
  }
}

/** With a retention window, old ended processes are pruned now and every hour; returns the stop. */
export function startRetention(kernel: RetentionHost, windowMs: number): () => void {
  const sweep = (): void => {
    pruneProcesses(kernel, Date.now() - windowMs).then(
      (pids) =>
        pids.length > 0 &&
        kernel.log(
          'info',
          `retention: pruned ${pids.length} ended processes older than ${Math.round(windowMs / 1000)} s`,
        ),
      (error: unknown) => kernel.log('warn', `retention: prune failed: ${(error as Error).message}`),
    );
  };
  const first = setImmediate(sweep);
  const timer = setInterval(sweep, param.retentionSweepMs);
  timer.unref();
  return () => {
    clearImmediate(first);
    clearInterval(timer);
  };
}
