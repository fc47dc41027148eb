/**
 * Idempotency keys (kernel/proc/idempotency.ts): a key a caller gave a request, in its scope
 * (`root` for the CLI and protocol, `pid:7` for a process's SPAWN_AGENT, `unit:digest` for a unit's
 * event ids), the arguments it came with, and the process it started — written with the commit of
 * that process, so an answer a client saw is never given twice, even across a SIGKILL.
 */
import type { SqlStatement as Statement } from './sql.js';
import type { SqliteStore } from './sqlite.js';

export interface IdempotencyRecord {
  scope: string;
  key: string;
  /** The arguments as canonical JSON: the same key with others is refused. */
  args: string;
  pid: number;
  created_at: number;
  expires_at: number;
}

export const IDEMPOTENCY_SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  args TEXT NOT NULL,
  pid INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
`;

export class SqliteIdempotency {
  private readonly upsert: Statement;
  private readonly purge: Statement;

  constructor(private readonly store: SqliteStore) {
    const db = store.sql;
    this.upsert = db.prepare(
      'INSERT OR REPLACE INTO idempotency (scope, key, args, pid, created_at, expires_at) VALUES (@scope, @key, @args, @pid, @created_at, @expires_at)',
    );
    this.purge = db.prepare('DELETE FROM idempotency WHERE expires_at <= ?');
  }

  /** The keys that have not expired (start-up). */
  async live(now: number): Promise<IdempotencyRecord[]> {
    return this.store.sql.prepare('SELECT * FROM idempotency WHERE expires_at > ?').all(now) as IdempotencyRecord[];
  }

  put(record: IdempotencyRecord): void {
    this.store.write(record.pid, () => this.upsert.run(record));
  }

  forget(scope: string): void {
    this.store.write(null, () => this.store.sql.prepare('DELETE FROM idempotency WHERE scope = ?').run(scope));
  }

  /** Forget the keys expired by `now`. */
  expire(now: number): void {
    this.store.write(null, () => this.purge.run(now));
  }
}
