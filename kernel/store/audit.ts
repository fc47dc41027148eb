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
import { ANCHOR_KEY, type AuditHead, AuditAnchor, anchorFile, parseHead } from './audit-anchor.js';
import type { AwaitedReads } from './awaited.js';
import { type AuditVerdict, ChainWalk, GENESIS, listQuery, Q, VERIFY_PAGE } from './audit-walk.js';
import { type AuditKey, loadAuditKey } from './audit-key.js';
import type { SqliteStore } from './sqlite.js';
import { AosError } from '../../sys/errno.js';
import { type SignedExport, signAuditExport } from './audit-export-sign.js';
import { type AuditSigner, loadAuditSigner } from './audit-sign.js';

/** `propose`: ran at once, undoable for its window; `undone` / `final`: how that proposal ended (kernel/safety/proposals.ts). */
export type AuditDecision =
  | 'allow'
  | 'propose'
  | 'ask'
  | 'deny'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'superseded'
  | 'withdrawn'
  | 'undone'
  | 'final';
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

export type { AuditVerdict } from './audit-walk.js';

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
    const { sql, params } = listQuery(query);
    return this.store.sql.prepare(sql).all(params) as AuditRow[];
  }

  /** Rows after `after` up to `upto`, in id order, at most `limit`: the pages of an export. */
  page(after: number, upto: number, limit: number): AuditRow[] {
    this.store.flush();
    return this.store.sql.prepare(Q.page).all(after, upto, limit) as AuditRow[];
  }

  private signer: AuditSigner | null = null;

  /** The signed head of an export of the rows after `after` (issue 52.5), once the whole trail verifies. */
  signExport(after: number): SignedExport {
    return this.sign(
      this.verify(),
      after,
      () => this.store.sql.prepare(Q.after).iterate(after) as IterableIterator<AuditRow>,
    );
  }

  private sign(v: AuditVerdict, after: number, rows: () => Iterable<AuditRow>): SignedExport {
    if (!v.ok)
      throw new AosError(
        'EIO',
        `the audit trail is broken at record #${v.bad_id}: ${v.problem}; an export would sign it (aos audit verify)`,
      );
    this.signer ??= loadAuditSigner(this.store.file);
    return signAuditExport(rows(), after, v.keyed_from, this.signer);
  }

  /** Walk the whole chain: every row's prev is the last hash, and its hash is what its fields give. */
  verify(): AuditVerdict {
    this.store.flush();
    const walk = this.walk();
    if (walk.verdict) return walk.verdict;
    for (const row of this.store.sql.prepare(Q.all).iterate() as IterableIterator<AuditRow>) {
      const bad = walk.add(row);
      if (bad) return bad;
    }
    const cut = this.anchor.check(
      (this.lastRow.get() as AuditHead | undefined) ?? null,
      (id) => this.hashOf.get(id) as string | undefined,
    );
    return walk.end(cut);
  }

  private walk(): ChainWalk<AuditRow> {
    const { key } = this;
    return new ChainWalk(key, this.otherKey, (prev, row) =>
      auditHash(prev, row, row.id >= key.from ? key.key : undefined),
    );
  }

  /**
   * The reads that answer clients (`aos audit`, `audit verify`, `audit export`, blame), awaited:
   * behind the decisions queued before the call, the kernel's thread free while PostgreSQL answers.
   * On SQLite a walk of the whole trail stays the synchronous one (in-process, row by row).
   */
  readonly awaited: AwaitedReads<AuditTrail, 'list' | 'page' | 'verify' | 'signExport'> = {
    list: async (query) => {
      await this.store.flushed();
      const { sql, params } = listQuery(query);
      return this.store.rows<AuditRow>(sql, params);
    },
    page: async (after, upto, limit) => {
      await this.store.flushed();
      return this.store.rows<AuditRow>(Q.page, after, upto, limit);
    },
    verify: () => this.verifyAwaited(),
    signExport: async (after) => {
      if (!this.store.readsAwait) return this.signExport(after);
      const v = await this.verifyAwaited();
      const rows: AuditRow[] = [];
      if (v.ok) for await (const page of this.pages(after)) rows.push(...page);
      return this.sign(v, after, () => rows);
    },
  };

  private async *pages(after: number): AsyncGenerator<AuditRow[]> {
    for (let from = after; ;) {
      const rows = await this.store.rows<AuditRow>(`${Q.after} LIMIT ?`, from, VERIFY_PAGE);
      if (rows.length > 0) yield rows;
      if (rows.length < VERIFY_PAGE) return;
      from = rows[rows.length - 1]?.id ?? from;
    }
  }

  private async verifyAwaited(): Promise<AuditVerdict> {
    if (!this.store.readsAwait) return this.verify();
    await this.store.flushed();
    const walk = this.walk();
    if (walk.verdict) return walk.verdict;
    for await (const page of this.pages(0))
      for (const row of page) {
        const bad = walk.add(row);
        if (bad) return bad;
      }
    const [last] = await this.store.rows<AuditHead>(`${Q.hashOf} ORDER BY id DESC LIMIT 1`);
    const [meta] = await this.store.rows<{ value: string }>('SELECT value FROM meta WHERE key = ?', ANCHOR_KEY);
    const metaHead = parseHead(meta?.value);
    const ids = [this.anchor.fromFile(), metaHead].flatMap((h) => (h ? [h.id] : []));
    const heads = await Promise.all(ids.map((id) => this.store.rows<AuditHead>(`${Q.hashOf} WHERE id = ?`, id)));
    const hashes = new Map(heads.flat().map((r) => [Number(r.id), r.hash]));
    return walk.end(this.anchor.check(last ?? null, (id) => hashes.get(id), metaHead));
  }
}
