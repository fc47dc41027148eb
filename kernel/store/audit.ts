/**
 * The audit trail: every allow / ask / deny decision of the policy and every answer to an
 * approval, one row each, chained: each row's hash is an HMAC, under a key kept outside the store
 * (audit-key.ts), of its fields and the previous hash, so an edited, inserted or deleted row breaks
 * the chain from there on and cannot be re-chained without the key. Rows commit with the store's
 * group commit, in order; the head is kept outside the table too (audit-anchor.ts), so rows cut
 * from the end are detected as well.
 */
import { createHash, createHmac } from 'node:crypto';
import type { SqlStatement as Statement } from './sql.js';
import { type AuditHead, AuditAnchor, anchorFile } from './audit-anchor.js';
import { type AuditKey, loadAuditKey } from './audit-key.js';
import type { SqliteStore } from './sqlite.js';
import { AosError } from '../../sys/errno.js';
import { type SignedExport, signAuditExport } from './audit-export-sign.js';
import { type AuditSigner, loadAuditSigner } from './audit-sign.js';

export type AuditDecision = 'allow' | 'ask' | 'deny' | 'approved' | 'denied' | 'expired' | 'superseded' | 'withdrawn';
export type DecidedBy = 'policy' | 'person' | 'timeout';

export interface AuditInput {
  pid: number;
  call: string;
  subject: string;
  decision: AuditDecision;
  rule: string | null;
  decided_by: DecidedBy;
  via?: string | null;
  reason?: string | null;
  approval?: string | null;
}

export interface AuditRow extends Required<AuditInput> {
  id: number;
  ts: string;
  prev: string;
  hash: string;
}

export interface AuditQuery {
  pid?: number;
  /** ISO time: rows at or after it. */
  since?: string;
  limit: number;
}

/** `keyed_from`: the first row chained with the key (rows before it predate the key: hashed, not keyed). */
export type AuditVerdict =
  | { ok: true; rows: number; head: string; keyed_from: number }
  | { ok: false; rows: number; bad_id: number; problem: string; keyed_from: number };

const GENESIS = '0'.repeat(64);
const FIELDS = [
  'id',
  'ts',
  'pid',
  'call',
  'subject',
  'decision',
  'rule',
  'decided_by',
  'via',
  'reason',
  'approval',
] as const;

const KEY_ID = 'audit_key_id';

/** The hash of a row: its fields in a fixed order, chained to the previous row's hash; an HMAC under `key` when given. */
export function auditHash(prev: string, row: Omit<AuditRow, 'prev' | 'hash'>, key?: Buffer): string {
  const body = JSON.stringify(FIELDS.map((f) => row[f] ?? null));
  const mac = key ? createHmac('sha256', key) : createHash('sha256');
  return mac.update(prev).update('\n').update(body).digest('hex');
}

export class AuditTrail {
  private readonly insert: Statement;
  private nextId: number;
  private head: string;
  private readonly anchor: AuditAnchor;
  private readonly lastRow: Statement;
  private readonly hashOf: Statement;
  /** Rows were queued since the anchor file was last brought up to date. */
  private unanchored = false;
  private readonly key: AuditKey;
  /** The key the store says its keyed rows were made with, when that is not the key in hand. */
  private readonly otherKey: string | null;

  constructor(private readonly store: SqliteStore) {
    const db = store.sql;
    this.insert = db.prepare(
      'INSERT INTO audit (id, ts, pid, call, subject, decision, rule, decided_by, via, reason, approval, prev, hash) VALUES (@id, @ts, @pid, @call, @subject, @decision, @rule, @decided_by, @via, @reason, @approval, @prev, @hash)',
    );
    this.lastRow = db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1');
    this.hashOf = db.prepare('SELECT hash FROM audit WHERE id = ?').pluck();
    this.anchor = new AuditAnchor(db, anchorFile(store.file));
    const last = this.lastRow.get() as AuditHead | undefined;
    const anchored = this.anchor.furthest();
    // Rows cut from the end (or a rewritten tail) must stay visible: new rows chain on from the head
    // the anchor remembers, not from what is left, so the gap stays in the chain for verify to name.
    const from = anchored && anchored.id >= (last?.id ?? 0) ? anchored : last;
    this.nextId = (from?.id ?? 0) + 1;
    this.head = from?.hash ?? GENESIS;
    this.key = loadAuditKey(store.file, this.nextId);
    const known =
      (db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY_ID) as string | undefined) ?? null;
    this.otherKey = known !== null && known !== this.key.id ? known : null;
    if (this.otherKey)
      store.hooks.log(
        'warn',
        `the audit key in ${this.key.file ?? 'memory'} is not the one the trail was keyed with (aos audit verify)`,
      );
    else if (known === null)
      this.store.write(null, () =>
        db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(KEY_ID, this.key.id),
      );
    if (anchored && anchored.id > (last?.id ?? 0))
      store.hooks.log(
        'warn',
        `the audit trail ends at row ${last?.id ?? 0} but its head says ${anchored.id} (aos audit verify)`,
      );
    // A trail older than its anchors (or a first start) gets one now.
    if (last && !anchored) {
      this.store.write(null, () => this.anchor.setInTransaction(last));
      this.anchorAfterCommit();
    }
  }

  /** Rows were queued: the head file is brought up to date once they are committed — after that commit, not after every one. */
  private anchorAfterCommit(): void {
    if (this.unanchored) return;
    this.unanchored = true;
    this.store.afterCommit(() => this.syncAnchor());
  }

  private syncAnchor(): void {
    if (!this.unanchored) return;
    this.unanchored = false;
    try {
      this.anchor.sync();
    } catch (error) {
      this.store.hooks.log(
        'warn',
        `could not write the audit trail's head to ${this.anchor.file ?? ''}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Queue one row; its hash is fixed now, so the chain follows the order decisions were made in. */
  record(input: AuditInput): AuditRow {
    const base = {
      id: this.nextId++,
      ts: new Date().toISOString(),
      pid: input.pid,
      call: input.call,
      subject: input.subject,
      decision: input.decision,
      rule: input.rule,
      decided_by: input.decided_by,
      via: input.via ?? null,
      reason: input.reason ?? null,
      approval: input.approval ?? null,
    };
    const row: AuditRow = {
      ...base,
      prev: this.head,
      hash: auditHash(this.head, base, base.id >= this.key.from ? this.key.key : undefined),
    };
    this.head = row.hash;
    this.store.write(null, () => {
      this.insert.run(row);
      this.anchor.setInTransaction({ id: row.id, hash: row.hash });
    });
    this.anchorAfterCommit();
    return row;
  }

  list(query: AuditQuery): AuditRow[] {
    // Decisions still queued for this tick's commit are part of the answer.
    this.store.flush();
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
    return this.store.sql.prepare(sql).all(params) as AuditRow[];
  }

  /** Rows after `after` up to `upto`, in id order, at most `limit`: the pages of an export. */
  page(after: number, upto: number, limit: number): AuditRow[] {
    this.store.flush();
    return this.store.sql
      .prepare('SELECT * FROM audit WHERE id > ? AND id <= ? ORDER BY id LIMIT ?')
      .all(after, upto, limit) as AuditRow[];
  }

  private signer: AuditSigner | null = null;

  /** The signed head of an export of the rows after `after` (issue 52.5), once the whole trail verifies. */
  signExport(after: number): SignedExport {
    const v = this.verify();
    if (!v.ok)
      throw new AosError(
        'EIO',
        `the audit trail is broken at record #${v.bad_id}: ${v.problem}; an export would sign it (aos audit verify)`,
      );
    this.signer ??= loadAuditSigner(this.store.file);
    const rows = this.store.sql
      .prepare('SELECT * FROM audit WHERE id > ? ORDER BY id')
      .iterate(after) as IterableIterator<AuditRow>;
    return signAuditExport(rows, after, v.keyed_from, this.signer);
  }

  /** Walk the whole chain: every row's prev is the last hash, and its hash is what its fields give. */
  verify(): AuditVerdict {
    this.store.flush();
    const keyed_from = this.key.from;
    if (this.otherKey) {
      const problem = `the key in ${this.key.file ?? 'memory'} (${this.key.id}) is not the one the trail was keyed with (${this.otherKey}): the key was removed or replaced, so the keyed rows cannot be checked`;
      return { ok: false, rows: 0, bad_id: keyed_from, problem, keyed_from };
    }
    let prev = GENESIS;
    let rows = 0;
    let expectedId: number | null = null;
    for (const row of this.store.sql
      .prepare('SELECT * FROM audit ORDER BY id')
      .iterate() as IterableIterator<AuditRow>) {
      if (expectedId !== null && row.id !== expectedId)
        return { ok: false, rows, bad_id: row.id, problem: `row ${expectedId} is missing`, keyed_from };
      if (row.prev !== prev)
        return {
          ok: false,
          rows,
          bad_id: row.id,
          problem: 'its prev is not the hash of the row before it (a row was removed or inserted)',
          keyed_from,
        };
      if (auditHash(prev, row, row.id >= keyed_from ? this.key.key : undefined) !== row.hash) {
        return {
          ok: false,
          rows,
          bad_id: row.id,
          problem: 'its fields do not give its keyed hash (the row was edited, or re-hashed without the key)',
          keyed_from,
        };
      }
      prev = row.hash;
      expectedId = row.id + 1;
      rows++;
    }
    const cut = this.anchor.check(
      (this.lastRow.get() as AuditHead | undefined) ?? null,
      (id) => this.hashOf.get(id) as string | undefined,
    );
    if (cut) return { ok: false, rows, ...cut, keyed_from };
    return { ok: true, rows, head: prev, keyed_from };
  }
}
