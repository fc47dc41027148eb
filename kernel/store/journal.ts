/**
 * The workspace journal: for every file a process changed (FS_WRITE, or found changed after an
 * EXEC_CMD), its content before and a hash of its content after. `aos diff` reads it; `aos
 * rollback` restores the earliest `before` of each path unless someone else changed it since.
 */
import type { SqlStatement as Statement } from './sql.js';
import type { SqliteStore } from './sqlite.js';
import type { AwaitedReads } from './awaited.js';

/** Entries of these pids (a mark each: `IN (?,?,…)`). */
const entriesOf = (pids: readonly number[]): string =>
  `SELECT * FROM journal WHERE pid IN (${pids.map(() => '?').join(',')}) AND turn >= ? ORDER BY id`;
const HISTORY = 'SELECT * FROM journal WHERE path = ? ORDER BY id';
const LATER = 'SELECT * FROM journal WHERE path = ? AND id > ? ORDER BY id DESC';
const TAINTED =
  'SELECT path, taint FROM journal WHERE id IN (SELECT MAX(id) FROM journal GROUP BY path) AND taint IS NOT NULL';

export interface JournalEntry {
  id: number;
  pid: number;
  turn: number;
  ts: number;
  path: string;
  before: Buffer | null;
  before_kind: 'file' | 'absent';
  after_hash: string | null;
  call: string;
  /** The writer's taint when it was tainted (JSON: kernel/safety/taint-ledger.ts), else null (issue 49). */
  taint?: string | null;
}

export class Journal {
  private readonly insert: Statement;

  constructor(private readonly store: SqliteStore) {
    this.insert = store.sql.prepare(
      'INSERT INTO journal (pid, turn, ts, path, before, before_kind, after_hash, call, taint) VALUES (@pid, @turn, @ts, @path, @before, @before_kind, @after_hash, @call, @taint)',
    );
  }

  record(entry: Omit<JournalEntry, 'id' | 'ts' | 'before_kind'>): void {
    const row = {
      ...entry,
      ts: Date.now(),
      before_kind: entry.before === null ? 'absent' : 'file',
      taint: entry.taint ?? null,
    };
    this.store.write(entry.pid, () => this.insert.run(row));
  }

  /** Entries of these processes (from `turn` on), oldest first. */
  entries(pids: readonly number[], fromTurn = 0): JournalEntry[] {
    this.store.flush();
    if (pids.length === 0) return [];
    return this.store.sql.prepare(entriesOf(pids)).all(...pids, fromTurn) as JournalEntry[];
  }

  /** Every entry for `path`, oldest first: who wrote it, turn by turn (`aos blame`). */
  history(path: string): JournalEntry[] {
    this.store.flush();
    return this.store.sql.prepare(HISTORY).all(path) as JournalEntry[];
  }

  /** The newest entry for `path` after `afterId` by a process not in `pids`: a later change by someone else. */
  laterByOthers(path: string, afterId: number, pids: readonly number[]): JournalEntry | undefined {
    const rows = this.store.sql.prepare(LATER).all(path, afterId) as JournalEntry[];
    return rows.find((r) => !pids.includes(r.pid));
  }

  /** Each path whose newest change came from a tainted writer, with that taint (issue 49). */
  taintedPaths(): Array<{ path: string; taint: string }> {
    this.store.flush();
    return this.store.sql.prepare(TAINTED).all() as Array<{ path: string; taint: string }>;
  }

  /** Commit what is queued, so reads of other tables (the process tree) see it too. */
  sync(): void {
    this.store.flush();
  }

  /** The reads that answer clients (`aos diff`, `rollback`, `blame`), awaited behind the writes queued before the call. */
  readonly awaited: AwaitedReads<Journal, 'entries' | 'history' | 'laterByOthers' | 'sync'> = {
    entries: async (pids, fromTurn = 0) => {
      await this.store.flushed();
      if (pids.length === 0) return [];
      return this.store.rows<JournalEntry>(entriesOf(pids), ...pids, fromTurn);
    },
    history: async (path) => (await this.store.flushed(), this.store.rows<JournalEntry>(HISTORY, path)),
    laterByOthers: async (path, afterId, pids) =>
      (await this.store.rows<JournalEntry>(LATER, path, afterId)).find((r) => !pids.includes(r.pid)),
    sync: async () => void (await this.store.flushed()),
  };

  remove(ids: readonly number[]): void {
    const del = this.store.sql.prepare('DELETE FROM journal WHERE id = ?');
    this.store.write(null, () => {
      for (const id of ids) del.run(id);
    });
  }

  /** Drop entries older than `ts` (the policy's journal.retention). */
  prune(ts: number): void {
    this.store.write(null, () => this.store.sql.prepare('DELETE FROM journal WHERE ts < ?').run(ts));
  }
}
