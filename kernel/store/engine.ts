/**
 * What a store backend brings to the store (store.ts): its connection, and what differs between
 * engines — which failures mean "keep the writes and retry" rather than "this row is bad", where
 * ids come from, how a copy is kept, how it closes. SQLite's is made in store.ts; PostgreSQL's in
 * pg/open.ts.
 */
import { backupDb, openCheckedDb } from './check.js';
import { Checkpointer } from './commit-timing.js';
import { param } from '../../sys/param.js';
import { migrate } from './migrate.js';
import { isDiskError } from './write-batch.js';
import type { StoreIds, StoreMoves } from './api.js';
import type { SqlDb } from './sql.js';
import type { SqliteStore } from './sqlite.js';

export interface StoreEngine {
  readonly db: SqlDb;
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
    // Off the kernel's thread (commit-timing.ts); back in the commits if that thread is gone.
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
