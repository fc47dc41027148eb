/**
 * The store's SQL connection (sql.ts) on PostgreSQL: statements translated once (dialect.ts) and
 * run on the bridge's connection (bridge.ts). Inside a transaction a write is not sent at once:
 * the writes queue and go with the next read or with the COMMIT, so a group commit of any size is
 * one round trip to the bridge's thread, its writes merged into as few statements as they allow
 * (coalesce.ts: each statement is a round trip to the server). A write inside a transaction
 * therefore cannot say how many rows it changed (nothing in a commit asks; asking throws).
 * Outside a transaction every statement runs at once.
 *
 * A transaction whose commit fails throws from the function `transaction()` returned, as
 * better-sqlite3's does, and leaves nothing behind: the queued writes are dropped with it.
 *
 * The reads that answer clients go as the commits do (`readLater`): sent, their answer awaited.
 * The store's group commits go another way (`commit`): the writes are taken as statements here, on
 * the kernel's thread, and sent as one transaction whose answer is awaited (bridge.ts `send`). No
 * write of a commit reads (a read would be a round trip in the middle of it): one that does fails.
 */
import { type PgBridge, PgError, type PgPending, type PgStep } from './bridge.js';
import { coalesce } from './coalesce.js';
import { toPostgres } from './dialect.js';
import { escapeText, unescapeRow } from './text.js';
import type { SqlDb, SqlRunResult, SqlStatement } from '../sql.js';

/** Values as the pg client should send them: better-sqlite3 takes booleans as 0/1 and bigints as integers. */
function value(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return escapeText(v);
  return v === undefined ? null : v;
}

/** better-sqlite3's arguments (positional values, one array of them, or one object by name) as `$n` values. */
function bind(names: readonly string[], args: readonly unknown[]): unknown[] {
  if (names.length > 0) {
    const source = (args[0] ?? {}) as Record<string, unknown>;
    return names.map((n) => {
      if (!(n in source)) throw new RangeError(`missing named parameter "${n}"`);
      return value(source[n]);
    });
  }
  const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  return flat.map(value);
}

const QUEUED: SqlRunResult = Object.freeze({
  get changes(): number {
    throw new Error('a write inside a PostgreSQL transaction is sent with the commit: its row count is not known here');
  },
});

class PgStatement implements SqlStatement {
  constructor(
    private readonly db: PgDb,
    private readonly source: string,
    private readonly plucked = false,
  ) {}

  private step(args: readonly unknown[]): PgStep {
    const text = toPostgres(this.source);
    const params = bind(text.names, args);
    return {
      sql: text.sql,
      params: text.mapParams ? text.mapParams(params) : params,
      ...(this.plucked ? { array: true } : {}),
    };
  }

  private rows(args: readonly unknown[]): unknown[] {
    const rows = this.db.read(this.step(args)).map(unescapeRow);
    return this.plucked ? rows.map((r) => (r as unknown[])[0]) : rows;
  }

  run(...args: unknown[]): SqlRunResult {
    const text = toPostgres(this.source);
    if (text.custom) return text.custom(this.db, bind(text.names, args));
    return this.db.write(this.step(args));
  }

  get(...args: unknown[]): unknown {
    return this.rows(args)[0];
  }

  all(...args: unknown[]): unknown[] {
    return this.rows(args);
  }

  iterate(...args: unknown[]): IterableIterator<unknown> {
    return this.rows(args)[Symbol.iterator]();
  }

  pluck(toggle = true): SqlStatement {
    return new PgStatement(this.db, this.source, toggle);
  }
}

export class PgDb implements SqlDb {
  /** Writes of the open transaction not sent yet. */
  private queued: PgStep[] = [];
  private depth = 0;
  /** The open transaction has sent something (BEGIN is on the server). */
  private begun = false;
  /** Sent first in every transaction (the node's fence check): a transaction commits only when it holds. */
  guard: PgStep | null = null;
  /** `body` of a commit is running: its writes are taken, not sent. */
  private collecting = false;

  constructor(readonly bridge: PgBridge) {}

  prepare(sql: string): SqlStatement {
    return new PgStatement(this, sql);
  }

  /** Statements of the schema and the like, run as they are (no translation, no parameters). */
  exec(sql: string): void {
    this.send([{ sql }]);
  }

  private send(steps: PgStep[]): unknown[] {
    if (this.collecting)
      throw new Error('a write of a PostgreSQL group commit may not read (its statements are sent together)');
    if (this.depth === 0) return this.bridge.run(steps, 'none').at(-1)?.rows ?? [];
    // The guard goes first in the request that begins the transaction; a later one goes on only on that session.
    const first = !this.begun && this.guard ? [this.guard] : [];
    const all = [...first, ...coalesce(this.queued.splice(0)), ...steps];
    const mode = this.begun ? 'continue' : 'begin';
    this.begun = true;
    return this.bridge.run(all, mode).at(-1)?.rows ?? [];
  }

  read(step: PgStep): unknown[] {
    return this.send([step]);
  }

  /** A read on its own (outside any transaction), sent to the connection's thread and awaited: the kernel's thread goes on. */
  async readLater(sql: string, args: readonly unknown[]): Promise<unknown[]> {
    const text = toPostgres(sql);
    const params = bind(text.names, args);
    const step = { sql: text.sql, params: text.mapParams ? text.mapParams(params) : params };
    const [result] = await this.bridge.send([step], 'none').answer;
    return (result?.rows ?? []).map(unescapeRow);
  }

  /** Writes queued in the open transaction go first (a custom statement reads what they wrote). */
  get inTransaction(): boolean {
    return this.depth > 0;
  }

  write(step: PgStep): SqlRunResult {
    if (this.depth === 0) {
      const [result] = this.bridge.run([step], 'none');
      return { changes: result?.count ?? 0 };
    }
    this.queued.push(step);
    return QUEUED;
  }

  /**
   * One transaction of the store's commits, sent and not waited for: `body` runs now (a throw is
   * its own, nothing sent), its writes as one request whose answer is awaited or waited for.
   * Null when it wrote nothing.
   */
  commit(body: () => void): PgPending | null {
    if (this.depth > 0) throw new Error('a commit inside a transaction is not supported by the PostgreSQL store');
    this.depth = 1;
    this.collecting = true;
    this.queued = [];
    try {
      body();
      const writes = coalesce(this.queued);
      return writes.length === 0
        ? null
        : this.bridge.send([...(this.guard ? [this.guard] : []), ...writes], 'beginCommit');
    } finally {
      this.queued = [];
      this.collecting = false;
      this.depth = 0;
    }
  }

  transaction<T>(fn: () => T): () => T {
    const run = (): T => {
      // better-sqlite3 makes a nested one a savepoint that rolls back alone; nothing in the store nests, and this does not pretend to.
      if (this.depth > 0)
        throw new Error('a transaction inside a transaction is not supported by the PostgreSQL store');
      this.depth = 1;
      this.begun = false;
      this.queued = [];
      try {
        const out = fn();
        const steps = [...(!this.begun && this.guard ? [this.guard] : []), ...coalesce(this.queued.splice(0))];
        if (this.begun) this.bridge.run(steps, 'commit');
        else if (steps.length > 0) this.bridge.run(steps, 'beginCommit');
        return out;
      } catch (error) {
        this.queued = [];
        if (this.begun) {
          try {
            this.bridge.run([], 'rollback');
          } catch {
            // The connection is gone: the server rolled it back.
          }
        }
        throw error;
      } finally {
        this.depth = 0;
        this.begun = false;
      }
    };
    return run;
  }
}

export { PgError };
