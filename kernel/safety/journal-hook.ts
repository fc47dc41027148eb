/**
 * What the rollback journal captures around a call that changes the workspace. FS_WRITE: the
 * file's content before, its hash after. EXEC_CMD: a snapshot of the directories it may write
 * (its fs.write grants, scoped exec), diffed after the command — the cost grows with those trees
 * (bench/journal.ts); past param.journalSnapshotMaxBytes the call runs unjournaled, with a warning.
 * An interceptor (call-interceptors.ts), the innermost: the snapshot is taken once every other
 * check let the call through, and recorded once its handler has answered.
 */
import { createHash } from 'node:crypto';
import { fixedPrefix } from '../../drivers/exec/scoped-mounts.js';
import { diffTree, SnapshotTooLarge, snapshotTree } from '../../drivers/fs/tree-snapshot.js';
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
  log(level: LogLevel, message: string): void;
}

type Settled = (ok: boolean) => void | Promise<void>;

function turnOf(proc: Proc): number {
  return turnState(proc).pending?.turn ?? proc.pcb.counters.turns;
}

type Journaled = Pick<Call, 'def' | 'args'>;

/** Where an FS_WRITE really landed, as the fs driver tells it (a symlinked directory resolved): the path journaled. */
type Landed = { path?: string };

/** The writer's taint for the journal, noted for readers of `path` (null when taint is not tracked). */
function taintOf(host: JournalHost, proc: Proc, path: string): string | null {
  if (host.policy.taint?.enabled !== true) return null;
  const mark = TaintLedger.markOf(proc);
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
      if (ok) taintOf(host, proc, landed.path ?? vpath);
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
      taint: taintOf(host, proc, path),
    });
  };
}

async function execHook(host: JournalHost, proc: Proc): Promise<Settled | null> {
  const writable = proc.caps.list
    .filter((c) => c === 'fs.write' || c.startsWith('fs.write:'))
    .map((c) => (c === 'fs.write' ? '/' : fixedPrefix(c.slice(9))));
  if (writable.length === 0) return null;
  const dirs = [...new Set(writable)];
  const root = host.fs.root;
  const turn = turnOf(proc);
  try {
    const before = await snapshotTree(root, dirs, param.journalSnapshotMaxBytes);
    return async () => {
      for (const change of await diffTree(root, dirs, before, param.journalSnapshotMaxBytes)) {
        host.journal.record({
          pid: proc.pid,
          turn,
          path: change.path,
          before: change.before,
          after_hash: change.afterHash,
          call: 'EXEC_CMD',
          taint: taintOf(host, proc, change.path),
        });
      }
    };
  } catch (error) {
    if (!(error instanceof SnapshotTooLarge)) throw error;
    host.log(
      'warn',
      `process ${proc.pid}: EXEC_CMD not journaled: ${error.message} (${param.journalSnapshotMaxBytes} bytes)`,
    );
    return null;
  }
}

/** The hook for a call that may change the workspace, or null. */
export function journalHook(
  host: JournalHost,
  proc: Proc,
  call: Journaled,
  landed: Landed = {},
): Settled | Promise<Settled | null> | null {
  if (call.def.name === 'FS_WRITE') return writeHook(host, proc, call, landed);
  if (call.def.name === 'EXEC_CMD' && host.policy.journalExec) return execHook(host, proc);
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
