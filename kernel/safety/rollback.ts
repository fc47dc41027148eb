/**
 * `aos diff` and `aos rollback` over the journal: what a process and its subtree changed, and
 * putting it back. A rollback is all or nothing: it is refused, naming the file and who, when a
 * later process (or anyone outside the journal) changed a file since, or when a file cannot be
 * reached safely now (a symlink on its way, a hard link); and a write that still fails half-way
 * (a full disk, a race) puts back what was already restored, so the workspace ends as it began.
 */
import { sha256 } from '../../drivers/fs/tree-snapshot.js';
import type { JournalFiles } from '../../sys/driver-api.js';
import { param } from '../../sys/param.js';
import { AosError } from '../../sys/errno.js';
import type { JournalEntry, JournalLog } from '../store/api.js';

export interface RollbackHost {
  readonly journal: JournalLog;
  readonly fs: JournalFiles;
  readonly store: { readonly processes: { subtree(pid: number): Promise<number[]> } };
}

export interface FileChange {
  path: string;
  status: 'added' | 'modified' | 'deleted';
  bytes_before: number | null;
  bytes_now: number | null;
  pids: number[];
  turns: number[];
  /** Changed again since this subtree's last change (by another process or outside aos). */
  changed_since: boolean;
}

interface PathHistory {
  first: JournalEntry;
  last: JournalEntry;
  pids: Set<number>;
  turns: Set<number>;
}

function byPath(entries: readonly JournalEntry[]): Map<string, PathHistory> {
  const out = new Map<string, PathHistory>();
  for (const e of entries) {
    const h = out.get(e.path) ?? { first: e, last: e, pids: new Set<number>(), turns: new Set<number>() };
    h.last = e;
    h.pids.add(e.pid);
    h.turns.add(e.turn);
    out.set(e.path, h);
  }
  return out;
}

/** The file as it is now (null: missing, or nothing that could be kept). */
async function current(host: RollbackHost, rel: string): Promise<Buffer | null> {
  return (await host.fs.contentOf(rel, param.journalSnapshotMaxBytes)) ?? null;
}

// The journal's reads are awaited (the store's `awaited`): on PostgreSQL the kernel's thread goes on meanwhile.
async function subtree(host: RollbackHost, pid: number): Promise<number[]> {
  await host.journal.awaited.sync();
  const pids = await host.store.processes.subtree(pid);
  return pids.includes(pid) ? pids : [pid, ...pids];
}

export async function diffProcess(host: RollbackHost, pid: number): Promise<FileChange[]> {
  const pids = await subtree(host, pid);
  const out: FileChange[] = [];
  for (const [rel, h] of byPath(await host.journal.awaited.entries(pids))) {
    const now = await current(host, rel);
    const before = h.first.before;
    if (before !== null && now !== null && before.equals(now)) continue;
    if (before === null && now === null && h.last.after_hash === null) continue;
    const status = before === null ? 'added' : now === null ? 'deleted' : 'modified';
    const changedSince =
      (now ? sha256(now) : null) !== h.last.after_hash ||
      (await host.journal.awaited.laterByOthers(rel, h.last.id, pids)) !== undefined;
    out.push({
      path: rel,
      status,
      bytes_before: before?.length ?? null,
      bytes_now: now?.length ?? null,
      pids: [...h.pids],
      turns: [...h.turns],
      changed_since: changedSince,
    });
  }
  return out;
}

/**
 * `after`: which of its descendants' changes count, whatever their own turn (a fork cuts at its
 * turn's prompt: a child's turn 0 may come after it); the process's own are those of turns from
 * `fromTurn` either way. `keep`: the journal keeps its rows (a fork's origin may be forked again: a
 * later fork must see its files were moved, and is refused).
 */
export async function rollbackProcess(
  host: RollbackHost,
  pid: number,
  fromTurn: number,
  options: { after?: (entry: JournalEntry) => boolean; keep?: boolean } = {},
): Promise<Array<{ path: string; action: 'restored' | 'removed' }>> {
  const pids = await subtree(host, pid);
  const after = options.after;
  const entries =
    after === undefined
      ? await host.journal.awaited.entries(pids, fromTurn)
      : (await host.journal.awaited.entries(pids, 0)).filter((e) => (e.pid === pid ? e.turn >= fromTurn : after(e)));
  const histories = byPath(entries);
  const conflicts: string[] = [];
  // Every file is checked before any is written; what each holds now is kept to put back on failure.
  const nowOf = new Map<string, Buffer | null>();
  for (const [rel, h] of histories) {
    const later = await host.journal.awaited.laterByOthers(rel, h.last.id, pids);
    const now = await host.fs.contentOf(rel, param.journalSnapshotMaxBytes);
    if (now === undefined)
      conflicts.push(
        `${rel} cannot be reached safely now (a symbolic link on its way, a hard link, or over ${param.journalSnapshotMaxBytes} bytes)`,
      );
    else if (later)
      conflicts.push(`${rel} was changed since by process ${later.pid} (${later.call}, turn ${later.turn})`);
    else if ((now ? sha256(now) : null) !== h.last.after_hash)
      conflicts.push(`${rel} was changed since outside the journal`);
    if (now !== undefined) nowOf.set(rel, now);
  }
  if (conflicts.length)
    throw new AosError('EBUSY', `rollback of process ${pid} refused, nothing was changed: ${conflicts.join('; ')}`);
  const done: Array<{ path: string; action: 'restored' | 'removed' }> = [];
  for (const [rel, h] of histories) {
    try {
      done.push({ path: rel, action: await host.fs.restore(rel, h.first.before) });
    } catch (error) {
      const undone = await putBack(host, done.map((d) => d.path).reverse(), nowOf);
      const why = error instanceof Error ? error.message : String(error);
      throw new AosError('EIO', `rollback of process ${pid} failed at ${rel} (${why}); ${undone}`, { cause: error });
    }
  }
  if (!options.keep) host.journal.remove(entries.map((e) => e.id));
  return done;
}

/** Undo a rollback half-way: each file restored so far gets back what it held before it. */
async function putBack(
  host: RollbackHost,
  paths: string[],
  nowOf: ReadonlyMap<string, Buffer | null>,
): Promise<string> {
  const failed: string[] = [];
  for (const rel of paths) {
    try {
      await host.fs.restore(rel, nowOf.get(rel) ?? null);
    } catch {
      failed.push(rel);
    }
  }
  if (failed.length === 0)
    return paths.length
      ? `the ${paths.length} file(s) restored before it were put back as they were`
      : 'nothing was changed';
  return `these could not be put back as they were: ${failed.join(', ')}`;
}
