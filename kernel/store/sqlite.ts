/**
 * What the store's own modules (the facets: process-rows.ts with the transcripts, event-log.ts,
 * mail-rows.ts, ids.ts; the tables audit.ts, journal.ts, approvals-table.ts; event pages and
 * search) need of the SQLite store: its connection, its queue and its hooks. Inside kernel/store
 * only; the kernel sees the store through api.ts.
 */
import type { SqlDb, SqlStatement } from './sql.js';
import type { KernelEvent } from '../../protocol/events.js';
import type { ProcessRecord, Statements, StoredEvent, StoreHooks } from './records.js';

export interface SqliteStore {
  /** The store's file (':memory:' for none): files kept beside it (the audit anchor, its key) are named after it. */
  readonly file: string;
  /** The database, for tables kept by modules of their own; they write through `write`. */
  readonly sql: SqlDb;
  /** The statements every commit runs, prepared once. */
  readonly stmt: Statements;
  readonly hooks: StoreHooks;
  /** Read-side queries on this connection: committed rows only. */
  query<T>(run: (db: SqlDb) => T): T;
  /** A read of committed rows whose answer is awaited (on PostgreSQL the kernel's thread goes on meanwhile). */
  rows<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** `rows` really waits for a connection (PostgreSQL); false: it answers at once (SQLite), so a long walk may as well be synchronous. */
  readonly readsAwait: boolean;
  /** Queue a write: it commits with this tick's transaction, in order. */
  write(pid: number | null, run: () => void): void;
  /** A write of one statement with the caller's values (the process's pid first), queued as it is. */
  writer<A extends [pid: number, ...rest: unknown[]]>(statement: SqlStatement): (...values: A) => void;
  /** Queue a process's row, built at the commit (once however often it is saved in a tick); bound. */
  readonly writeRow: (pid: number, build: () => ProcessRecord) => void;
  /** Queue an event with the next event id; bound. */
  readonly writeEvent: (event: KernelEvent) => void;
  /** The events queued so far go in before the writes queued after this (a write that deletes events). */
  placeEvents(): void;
  /** Events queued and not yet committed (reads that must see them look there first). */
  readonly queuedEvents: readonly StoredEvent[];
  flush(): boolean;
  flushed(): Promise<boolean>;
  afterCommit(hook: () => void): void;
}
