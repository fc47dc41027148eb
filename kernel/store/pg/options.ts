/** The PostgreSQL backend as the kernel names it: where it keeps a kernel's rows, and trees moved between nodes (api.ts re-exports both). */
/** Where the PostgreSQL backend keeps a kernel's rows (pg/open.ts). */
export interface PostgresStoreOptions {
  url: string;
  /** The PostgreSQL schema the rows live in (one per node). */
  schema: string;
  /** The sessions' application_name (a fence ends a stale node's sessions by it). */
  applicationName: string;
  /** Where the store's side files live (the audit trail's head and key are named after it): a path in the kernel's home, or ':memory:'. */
  file: string;
  /**
   * A session of the database's own, awaited (the cluster opens it: only kernel/cluster names the
   * client), on the store's schema: a tree's move from a dead node runs on one (moves.ts).
   */
  session?: () => Promise<PgSession>;
  /** A statement every transaction runs first, that must find a row for the transaction to commit (the node's fence); it fails with `mustTouch`. */
  guard?: { sql: string; params?: unknown[]; mustTouch?: { code: string; message: string } };
}

/** An awaited session of the database: its statements, with `$n` parameters, and its end. */
export interface PgSession {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}

/** A dead node's process trees moved into this store (PostgreSQL: pg/moves.ts), on a connection of the move's own: awaited, the kernel's thread goes on. */
export interface StoreMoves {
  /** The trees (their roots' pids) of the store in schema `from` that have a process not ended. */
  liveTrees(from: string): Promise<number[]>;
  /**
   * Move one tree's rows here in one transaction, which commits only while `check` finds a row
   * (the other node still dead) and nobody else took the tree; the pids moved (and how many had not
   * ended), or null when it did not commit for one of those reasons. The moved events and webhooks
   * get ids from `ids`, which reserves ranges of what this node counts in memory.
   */
  take(
    from: string,
    tree: number,
    check: { sql: string; params: unknown[] },
    ids: { webhooks(count: number): number },
  ): Promise<{ pids: number[]; live: number } | null>;
}
