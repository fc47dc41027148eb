/**
 * What a store backend brings to the store (store.ts): its connection, and what differs between
 * engines — how a group commit's transaction and a client's read are sent (at once, or awaited), which failures mean
 * "keep the writes and retry" rather than "this row is bad", where ids come from, how a copy is
 * kept, how it closes. SQLite's is made here (with its checkpoint thread, checkpoint.ts);
 * PostgreSQL's in pg/open.ts. api.ts's header says what a new backend implements.
 */
import { backupDb, openCheckedDb } from './check.js';
import { Checkpointer } from './checkpoint.js';
import { param } from '../../sys/param.js';
import { migrate } from './migrate.js';
import type { PendingCommit } from './commit.js';
import type { StoreIds, StoreMoves } from './api.js';
import type { SqlDb } from './sql.js';
import type { SqliteStore } from './sqlite.js';

export type { Checkpointer } from './checkpoint.js';

/** Errors of the disk or the file, not of the data: wait and retry rather than blame a process. */
export function isDiskError(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return (
    /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PROTOCOL)/.test(code) || /^(ENOSPC|EDQUOT|EROFS|EIO)$/.test(code)
  );
}

export interface StoreEngine {
  /** Reads, and the transactions of an engine without `commit` (SQLite: a commit is `db.transaction`, done when it returns). */
  readonly db: SqlDb;
  /**
   * A group commit's transaction, sent and not waited for (a networked engine): `body` runs now and
   * makes its writes (a throw is its own: nothing is sent), which go as one transaction whose
   * answer is awaited — or waited for on the kernel's thread when `flush()` needs it. Null: nothing to send.
   */
  commit?(body: () => void): PendingCommit | null;
  /**
   * A read of committed rows whose answer is awaited, the kernel's thread free meanwhile (a
   * networked engine sends it to its connection, behind the commits sent before it). Rows as `db`'s
   * `all` gives them. Without it the read runs on `db` and its answer is there at once (SQLite).
   */
  read?(sql: string, params: readonly unknown[]): Promise<unknown[]>;
  /** Why the store counts as new, for the log (null: it held data). */
  readonly note: string | null;
  /** WAL checkpoints on a thread of their own (SQLite's; none elsewhere). */
  checkpoints?(log: (level: 'info' | 'warn', message: string) => void): Checkpointer | null;
  /** A failure of the engine, not of the data (a full disk, a database that does not answer): kept and retried. */
  retryable(error: unknown): boolean;
  /** Ids from the engine's sequences (the default counts in memory: one kernel owns the file). */
  ids?(store: SqliteStore): StoreIds;
  /** Moves of trees from another store on the same database (PostgreSQL); `reserveEvents` gives the first of `count` event ids no event here has or will be given. */
  moves?(store: { reserveEvents(count: number): number }): StoreMoves;
  /** A copy of the committed state; its path, or null when the engine keeps its own. */
  backup(): Promise<string | null>;
  close(): void;
}

/** SQLite in this file: checked (check.ts), made or migrated (migrate.ts). */
export function openSqliteEngine(file: string): StoreEngine {
  const { db, note } = openCheckedDb(file);
  migrate(db, file);
  let closed = false;
  return {
    db,
    note,
    retryable: isDiskError,
    // Off the kernel's thread (checkpoint.ts); back in the commits if that thread is gone.
    checkpoints: (log) => {
      if (file === ':memory:') return null;
      db.pragma('wal_autocheckpoint = 0');
      return new Checkpointer(file, param.storeCheckpointMs, {
        onError: (message) =>
          log(
            message ? 'warn' : 'info',
            message ? `WAL checkpoints fail (the WAL keeps every commit): ${message}` : 'WAL checkpoints work again',
          ),
        onExit: () => void (closed || db.pragma('wal_autocheckpoint = 1000')),
      });
    },
    backup: () => backupDb(db, file),
    close: () => {
      closed = true;
      db.close();
    },
  };
}
