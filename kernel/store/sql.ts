/**
 * The part of a SQL connection the store's facets use: better-sqlite3's synchronous shape
 * (prepare, run/get/all/iterate, pluck, transaction, exec). better-sqlite3 is it as it is; the
 * PostgreSQL backend (pg/pg-db.ts) implements it over its connection thread, translating each
 * statement once (pg/dialect.ts). A facet written against this runs on either backend.
 *
 * Parameters are bound as better-sqlite3 binds them: by position (`?`), or from one object by
 * name (`@name`).
 */
export interface SqlRunResult {
  changes: number;
}

export interface SqlStatement {
  run(...params: unknown[]): SqlRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows as their first column's value. */
  pluck(toggle?: boolean): SqlStatement;
}

export interface SqlDb {
  prepare(sql: string): SqlStatement;
  /** `fn` as one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): () => T;
  exec(sql: string): unknown;
}
