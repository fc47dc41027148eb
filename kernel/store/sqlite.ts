/**
 * What the store's own table modules (audit.ts, journal.ts, approvals-table.ts, event-pages.ts,
 * event-search.ts) need of the SQLite store: its connection, its queue and its hooks. Inside
 * kernel/store only; the kernel sees the store through api.ts.
 */
import type Database from 'better-sqlite3';
import type { StoreHooks } from './records.js';

export interface SqliteStore {
  /** The store's file (':memory:' for none): files kept beside it (the audit anchor, its key) are named after it. */
  readonly file: string;
  /** The database, for tables kept by modules of their own; they write through `write`. */
  readonly sql: Database.Database;
  readonly hooks: StoreHooks;
  /** Read-side queries on this connection: committed rows only. */
  query<T>(run: (db: Database.Database) => T): T;
  /** Queue a write: it commits with this tick's transaction, in order. */
  write(pid: number | null, run: () => void): void;
  flush(): boolean;
  afterCommit(hook: () => void): void;
}
