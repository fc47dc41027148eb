/**
 * The audit trail's walk (audit.ts): the chain checked row by row in id order — the same whether
 * the rows come at once (verify) or a page at a time (the awaited verify and export) — and the
 * statements the trail's reads share.
 */
import type { AuditKey } from './audit-key.js';

/** `keyed_from`: the first row chained with the key (rows before it predate the key: hashed, not keyed). */
export type AuditVerdict =
  | { ok: true; rows: number; head: string; keyed_from: number }
  | { ok: false; rows: number; bad_id: number; problem: string; keyed_from: number };

/** The `prev` of the first row. */
export const GENESIS = '0'.repeat(64);

/** The statements the trail's reads share. */
export const Q = {
  page: 'SELECT * FROM audit WHERE id > ? AND id <= ? ORDER BY id LIMIT ?',
  after: 'SELECT * FROM audit WHERE id > ? ORDER BY id',
  all: 'SELECT * FROM audit ORDER BY id',
  hashOf: 'SELECT id, hash FROM audit',
} as const;
/** Rows of the trail read at a time by an awaited walk (verify, export). */
export const VERIFY_PAGE = 2_000;

export function listQuery(query: { pid?: number; since?: string; limit: number }): {
  sql: string;
  params: Record<string, unknown>;
} {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: query.limit };
  if (query.pid !== undefined) {
    where.push('pid = @pid');
    params.pid = query.pid;
  }
  if (query.since !== undefined) {
    where.push('ts >= @since');
    params.since = query.since;
  }
  const sql = `SELECT * FROM (SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit) ORDER BY id`;
  return { sql, params };
}

/** The chain checked row by row, in id order: the same walk whether the rows come at once or a page at a time. */
export class ChainWalk<R extends { id: number; prev: string; hash: string }> {
  private prev = GENESIS;
  private rows = 0;
  private expectedId: number | null = null;
  private readonly keyedFrom: number;
  /** Set when the walk cannot even start (the key is not the trail's). */
  readonly verdict: AuditVerdict | null = null;

  constructor(
    key: AuditKey,
    otherKey: string | null,
    private readonly hashOf: (prev: string, row: R) => string,
  ) {
    this.keyedFrom = key.from;
    if (otherKey) {
      const problem = `the key in ${key.file ?? 'memory'} (${key.id}) is not the one the trail was keyed with (${otherKey}): the key was removed or replaced, so the keyed rows cannot be checked`;
      this.verdict = { ok: false, rows: 0, bad_id: key.from, problem, keyed_from: key.from };
    }
  }

  /** The verdict when this row breaks the chain, else null. */
  add(row: R): AuditVerdict | null {
    const { rows, keyedFrom: keyed_from } = this;
    if (this.expectedId !== null && row.id !== this.expectedId)
      return { ok: false, rows, bad_id: row.id, problem: `row ${this.expectedId} is missing`, keyed_from };
    if (row.prev !== this.prev)
      return {
        ok: false,
        rows,
        bad_id: row.id,
        problem: 'its prev is not the hash of the row before it (a row was removed or inserted)',
        keyed_from,
      };
    if (this.hashOf(this.prev, row) !== row.hash)
      return {
        ok: false,
        rows,
        bad_id: row.id,
        problem: 'its fields do not give its keyed hash (the row was edited, or re-hashed without the key)',
        keyed_from,
      };
    this.prev = row.hash;
    this.expectedId = row.id + 1;
    this.rows++;
    return null;
  }

  end(cut: { bad_id: number; problem: string } | null): AuditVerdict {
    const { rows, keyedFrom: keyed_from } = this;
    return cut ? { ok: false, rows, ...cut, keyed_from } : { ok: true, rows, head: this.prev, keyed_from };
  }
}
