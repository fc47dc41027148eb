/**
 * Which of a watch's changes a unit's own runs made — and so start nothing. A run is its whole
 * tree: the run's process, its children at any depth (SPAWN_AGENT, a unit started as a child) and
 * the commands any of them ran, even after the run's own process ended. Writes are known from the
 * rollback journal, which records each FS_WRITE with its writer and, when the policy journals exec
 * (`journal.exec`, the default), each change an EXEC_CMD made — once the command has ended. So a
 * change to a path a process of the tree may write, seen while one of its commands runs, is the
 * run's (the journal cannot say yet); and with exec journaling off, one seen while a command ran or
 * within the margin after it too, since the journal never will.
 */
import type { KernelEvent } from '../../protocol/events.js';
import type { Clock } from '../../sys/clock.js';
import { findSyscall } from '../../syscalls/table.js';
import type { Gathered } from './watch.js';
import type { Armed, UnitsHost } from './unit-types.js';

/** A change seen this long after a command ended may still be its own (inotify and chokidar's stat come late). */
const EXEC_MARGIN_MS = 1_000;
/** Commands that ended longer ago than this are forgotten. */
const KEEP_MS = 60_000;
const MAX_KEPT = 10_000;

interface Window {
  pid: number;
  from: number;
  to: number;
}

/** EXEC_CMD calls going on and lately done, by pid (from the kernel's `syscall` and `result` events). */
export class ExecWindows {
  private readonly open = new Map<number, number>();
  private done: Window[] = [];

  constructor(private readonly clock: Clock) {}

  onEvent(event: KernelEvent): void {
    if (event.type === 'syscall' && findSyscall(event.name)?.name === 'EXEC_CMD')
      this.open.set(event.pid, this.clock.now());
    else if (event.type === 'result' || (event.type === 'state' && (event.to === 'exited' || event.to === 'killed')))
      this.close(event.pid);
  }

  private close(pid: number): void {
    const from = this.open.get(pid);
    if (from === undefined) return;
    this.open.delete(pid);
    const now = this.clock.now();
    this.done = [...this.done.filter((w) => w.to >= now - KEEP_MS).slice(-(MAX_KEPT - 1)), { pid, from, to: now }];
  }

  /** The processes among `pids` whose command was running at `at` (with `ended`, also one that has ended since, within the margin). */
  runningAt(pids: ReadonlySet<number>, at: number, ended: boolean): number[] {
    const now = this.clock.now();
    const windows = [...(ended ? this.done : []), ...[...this.open].map(([pid, from]) => ({ pid, from, to: now }))];
    return windows
      .filter((w) => pids.has(w.pid) && w.from - EXEC_MARGIN_MS <= at && at <= w.to + EXEC_MARGIN_MS)
      .map((w) => w.pid);
  }
}

/** Every process of these runs' trees. */
export function treesOf(host: UnitsHost, runs: Iterable<number>): Set<number> {
  const pids = new Set<number>();
  for (const run of runs) for (const pid of host.treeOf(run)) pids.add(pid);
  return pids;
}

/** The runs whose trees may still write: those going on and those kept as ended lately (children outlive their parent). */
export function runsOf(armed: Armed): number[] {
  return [...armed.live, ...armed.ended.map((e) => e.pid)];
}

/** The paths of `gathered` that processes of `pids` wrote since `since`. */
export function writtenBy(
  host: UnitsHost,
  execs: ExecWindows,
  pids: ReadonlySet<number>,
  gathered: Gathered,
  since: number,
): Set<string> {
  if (pids.size === 0) return new Set();
  const journaled = host.wroteBy([...pids], since);
  const own = new Set(gathered.paths.filter((p) => journaled.has(p)));
  for (const [path, at] of gathered.changedAt) {
    if (own.has(path)) continue;
    if (execs.runningAt(pids, at, !host.journalsExec).some((pid) => host.mayWrite(pid, path))) own.add(path);
  }
  return own;
}
