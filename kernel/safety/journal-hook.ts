/**
 * What the rollback journal captures around a call that changes the workspace. FS_WRITE: the
 * file's content before, its hash after. EXEC_CMD: a snapshot of the directories it may write
 * (its fs.write grants, scoped exec), diffed after the command — the cost grows with those trees
 * (bench/journal.ts); past param.journalSnapshotMaxBytes the call runs unjournaled, with a warning.
 * While the policy tracks taint, a command the journal does not keep (that limit, `journal.exec:
 * false`) still has its changed paths found, from the files' states, and marked with a tainted
 * writer's taint (issue 49, red team s18): the journal is how the ledger learns what a command wrote.
 * An interceptor (call-interceptors.ts), the innermost: the snapshot is taken once every other
 * check let the call through, and recorded once its handler has answered.
 */
import { createHash } from 'node:crypto';
import { fixedPrefix } from '../../drivers/exec/scoped-mounts.js';
import {
  diffTree,
  SnapshotTooLarge,
  snapshotTree,
  type TreeChange,
  type TreeSnapshot,
} from '../../drivers/fs/tree-snapshot.js';
import { toVirtualPathFrom } from '../../drivers/fs/virtual-path.js';
import type { JournalFiles } from '../../sys/driver-api.js';
import { andThen } from '../../sys/waking.js';
import { GO, type Call, type CallInterceptor } from '../loop/call-chain.js';
import { param } from '../../sys/param.js';
import type { JournalLog } from '../store/api.js';
import type { LogLevel } from '../proc/api.js';
import type { Proc } from '../proc/proc.js';
import { turnOf as turnState } from '../loop/turn-state.js';
import { TaintLedger } from './taint-ledger.js';

export interface JournalHost {
  readonly journal: JournalLog;
  readonly policy: { readonly journalExec: boolean; readonly taint?: { readonly enabled: boolean } | null };
  readonly fs: JournalFiles;
  /** Where a tainted writer's changes are noted for later readers (issue 49). */
  readonly ledger?: TaintLedger;
  /**
   * The taint step's judgment of an EXEC_CMD that ended (taint-reads.ts execCouldRead), asked before
   * its changes are recorded: a file that became tainted while the command ran, and that it could
   * read, taints its process first, so what the command wrote carries that taint (red team s18).
   */
  execJudged?(call: Call): void;
  log(level: LogLevel, message: string): void;
}

type Settled = (ok: boolean) => void | Promise<void>;

function turnOf(proc: Proc): number {
  return turnState(proc).pending?.turn ?? proc.pcb.counters.turns;
}

type Journaled = Pick<Call, 'def' | 'args'>;

/** Where an FS_WRITE really landed, as the fs driver tells it (a symlinked directory resolved): the path journaled. */
type Landed = { path?: string };

/**
 * The taint of a change `proc` made to `path`, for the journal, noted for readers of `path` (null
 * when taint is not tracked): its writer's, and — when the change `keeps` what the file held (an
 * append, a file a command changed in place) and its writer is clean — the mark the file had: a
 * clean line added to a tainted file leaves the order in it, and the row carries that over a restart.
 */
export function taintOf(host: JournalHost, proc: Proc, path: string, keeps = false): string | null {
  if (host.policy.taint?.enabled !== true) return null;
  const had = keeps ? host.ledger?.fileTaint(path) : undefined;
  const mark = TaintLedger.markOf(proc) ?? (had ? JSON.stringify(had) : null);
  host.ledger?.wrote(path, mark);
  return mark;
}

async function writeHook(host: JournalHost, proc: Proc, call: Journaled, landed: Landed): Promise<Settled | null> {
  let vpath: string;
  try {
    vpath = toVirtualPathFrom(proc.pcb.cwd, String(call.args.path), param.fsMaxPathLength);
  } catch {
    return null;
  }
  const turn = turnOf(proc);
  // Read as the write will find it: through the workspace's confined lookups, not by a host path a symlink could lead out of.
  const before = await host.fs.contentOf(vpath, param.journalSnapshotMaxBytes);
  // Something is there that cannot be kept (a FIFO, a device, a huge file, a symlink the write replaces): not journaled
  // rather than restored as absent — but its writer's taint is still noted for readers of this kernel's life.
  if (before === undefined)
    return (ok) => {
      if (ok) taintOf(host, proc, landed.path ?? vpath, call.args.append === true);
    };
  return async (ok) => {
    if (!ok) return;
    // The file written, not a link's name for it: a reader by either name finds it (the taint ledger), and a rollback puts back that file.
    const path = landed.path ?? vpath;
    // A plain write leaves exactly its content: hashed without reading the file back (the hash tree-snapshot.ts sha256 makes).
    const after =
      call.args.append === true
        ? await host.fs.contentOf(vpath, param.journalSnapshotMaxBytes)
        : String(call.args.content);
    const afterHash = after == null ? null : createHash('sha256').update(after).digest('hex');
    host.journal.record({
      pid: proc.pid,
      turn,
      path,
      before,
      after_hash: afterHash,
      call: 'FS_WRITE',
      taint: taintOf(host, proc, path, call.args.append === true),
    });
  };
}

/** The directories an EXEC_CMD of `proc` may write: its fs.write grants' fixed parts. */
function writableDirs(proc: Proc): string[] {
  const writable = proc.caps.list
    .filter((c) => c === 'fs.write' || c.startsWith('fs.write:'))
    .map((c) => (c === 'fs.write' ? '/' : fixedPrefix(c.slice(9))));
  return [...new Set(writable)];
}

/**
 * EXEC_CMD: its writable trees snapshotted before it runs, and what changed journaled after it, each
 * change with its writer's taint as it stands once the taint step judged the run (the interceptor
 * below). Where the journal cannot keep the changes — `journal.exec: false`, or trees past
 * param.journalSnapshotMaxBytes before or after — and taint is tracked, the taint still is: a
 * snapshot of the files' states alone (size, mtime, inode; no content, so no limit) tells which
 * paths the command changed, and a tainted writer's are marked for their readers.
 */
async function execHook(host: JournalHost, proc: Proc): Promise<Settled | null> {
  const dirs = writableDirs(proc);
  if (dirs.length === 0) return null;
  const tracked = host.policy.taint?.enabled === true;
  if (!host.policy.journalExec) return tracked ? statesOnly(host, proc, dirs) : null;
  const root = host.fs.root;
  const turn = turnOf(proc);
  const unjournaled = (error: SnapshotTooLarge): void =>
    host.log(
      'warn',
      `process ${proc.pid}: EXEC_CMD not journaled: ${error.message} (${param.journalSnapshotMaxBytes} bytes)`,
    );
  let before: TreeSnapshot;
  try {
    before = await snapshotTree(root, dirs, param.journalSnapshotMaxBytes);
  } catch (error) {
    if (!(error instanceof SnapshotTooLarge)) throw error;
    unjournaled(error);
    return tracked ? statesOnly(host, proc, dirs) : null;
  }
  return async () => {
    let changes: TreeChange[];
    try {
      changes = await diffTree(root, dirs, before, param.journalSnapshotMaxBytes);
    } catch (error) {
      // The command grew its trees past the limit: nothing is journaled, but what it changed still carries its taint.
      if (!(error instanceof SnapshotTooLarge)) throw error;
      unjournaled(error);
      if (tracked) await markChanged(host, proc, before, dirs);
      return;
    }
    for (const change of changes) {
      host.journal.record({
        pid: proc.pid,
        turn,
        path: change.path,
        before: change.before,
        after_hash: change.afterHash,
        call: 'EXEC_CMD',
        // A file changed in place may still hold what it held: a clean writer's change keeps its mark.
        taint: taintOf(host, proc, change.path, change.before !== null && change.afterHash !== null),
      });
    }
  };
}

/** The states of the files under `dirs`, without content: bounded by nothing but the trees themselves. */
const statesOf = (root: string, dirs: readonly string[]): Promise<TreeSnapshot> =>
  snapshotTree(root, dirs, Number.MAX_SAFE_INTEGER, false);

/** A command the journal does not keep, under taint: which paths it changed, from the files' states before and after. */
async function statesOnly(host: JournalHost, proc: Proc, dirs: readonly string[]): Promise<Settled> {
  const root = host.fs.root;
  const before = await statesOf(root, dirs);
  return () => markChanged(host, proc, before, dirs);
}

/**
 * A tainted writer's changes the journal did not record, marked in the ledger for readers (until
 * the kernel restarts: the ledger is rebuilt from the journal). A path whose state moved counts as
 * changed, the same content rewritten included: the safe side. A clean writer's leave the marks as
 * they are, since nothing says what it left in a file.
 */
async function markChanged(
  host: JournalHost,
  proc: Proc,
  before: TreeSnapshot,
  dirs: readonly string[],
): Promise<void> {
  const mark = TaintLedger.markOf(proc);
  if (mark === null) return;
  const after = await statesOf(host.fs.root, dirs);
  for (const [rel, now] of after) {
    const was = before.get(rel);
    if (!was || was.size !== now.size || was.mtimeNs !== now.mtimeNs || was.ino !== now.ino)
      host.ledger?.wrote(rel, mark);
  }
  for (const rel of before.keys()) if (!after.has(rel)) host.ledger?.wrote(rel, mark);
}

/** The hook for a call that may change the workspace, or null. */
export function journalHook(
  host: JournalHost,
  proc: Proc,
  call: Journaled,
  landed: Landed = {},
): Settled | Promise<Settled | null> | null {
  if (call.def.name === 'FS_WRITE') return writeHook(host, proc, call, landed);
  if (call.def.name === 'EXEC_CMD') return execHook(host, proc);
  return null;
}

/** The calls that may change the workspace: no other call enters the journal. */
const JOURNALED: ReadonlySet<string> = new Set(['FS_WRITE', 'EXEC_CMD']);

/** The journal interceptor: the hook before the call, and what it changed recorded after it ran (a refused call changed nothing). */
export function journalInterceptor(host: JournalHost): CallInterceptor {
  return {
    name: 'journal',
    calls: JOURNALED,
    enter(call) {
      const landed: Landed = {};
      const hook = journalHook(host, call.proc, call, landed);
      if (hook === null) return GO;
      const fsReached = (real: string): void => void (landed.path = real);
      return andThen(hook, (settled) =>
        settled === null
          ? GO
          : {
              ...(call.def.name === 'FS_WRITE' ? { context: { fsReached } } : {}),
              after: (done, result) => {
                if (done.state !== 'settled') return result;
                // Asked only while taint is tracked: a turn without it runs none of the taint code.
                if (done.def.name === 'EXEC_CMD' && host.policy.taint?.enabled === true) host.execJudged?.(done);
                // The record is the journal's business: a failure to write it never changes the call's result.
                const recorded = settled(result.ok);
                return recorded instanceof Promise
                  ? recorded.then(
                      () => result,
                      () => result,
                    )
                  : result;
              },
            },
      );
    },
  };
}
