/**
 * The audit trail's head kept outside its table, so rows cut from the END are detectable too (the
 * chain alone cannot tell a trail that ends at row N from one whose rows after N were deleted).
 * Two copies: a `meta` row written in the same transaction as the rows (it cannot lag the table),
 * and a file beside the store (`$AOS_HOME/audit.head`, mode 0600, replaced atomically after each
 * commit that added rows; it may lag one commit after a crash, never lead).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SqlDb, SqlStatement } from './sql.js';

export interface AuditHead {
  id: number;
  hash: string;
}

/** The `meta` row that holds the head. */
export const ANCHOR_KEY = 'audit_head';
const META_KEY = ANCHOR_KEY;

/** A head as `meta` or the file keeps it (JSON), or null. */
export function parseHead(text: string | undefined): AuditHead | null {
  if (text === undefined) return null;
  try {
    const v = JSON.parse(text) as Partial<AuditHead>;
    return typeof v.id === 'number' && typeof v.hash === 'string' ? { id: v.id, hash: v.hash } : null;
  } catch {
    return null;
  }
}

const span = (from: number, to: number): string => (from === to ? `row ${from} was` : `rows ${from}..${to} were`);

/** Where a store's anchor file lives: beside the store (null for an in-memory store). */
export function anchorFile(storeFile: string): string | null {
  return storeFile === ':memory:' ? null : path.join(path.dirname(storeFile), 'audit.head');
}

export class AuditAnchor {
  private readonly setMeta: SqlStatement;
  private readonly getMeta: SqlStatement;
  /** What the file says now (so a commit without new rows writes nothing). */
  private written: string | null;

  constructor(
    private readonly db: SqlDb,
    readonly file: string | null,
  ) {
    this.setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.getMeta = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.written = this.readFile();
  }

  private readFile(): string | null {
    if (this.file === null) return null;
    try {
      return readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
  }

  /** Inside the transaction that inserts the row: the meta copy moves with the table. */
  setInTransaction(head: AuditHead): void {
    this.setMeta.run(META_KEY, JSON.stringify(head));
  }

  /** The head as `meta` has it (committed). */
  meta(): AuditHead | null {
    return parseHead((this.getMeta.get(META_KEY) as { value: string } | undefined)?.value);
  }

  /** The head as the file has it. */
  fromFile(): AuditHead | null {
    return parseHead(this.readFile() ?? undefined);
  }

  /** The furthest head either copy names (a tie goes to the file, the copy outside the database). */
  furthest(): AuditHead | null {
    const meta = this.meta();
    const file = this.fromFile();
    if (!meta || !file) return file ?? meta;
    return meta.id > file.id ? meta : file;
  }

  /** After a commit: the file follows `meta` (written aside, then renamed over the old one). */
  sync(): void {
    if (this.file === null) return;
    const head = this.meta();
    if (!head) return;
    const text = `${JSON.stringify(head)}\n`;
    if (text === this.written) return;
    const aside = `${this.file}.${process.pid}.tmp`;
    rmSync(aside, { force: true });
    writeFileSync(aside, text, { mode: 0o600, flag: 'wx' });
    renameSync(aside, this.file);
    this.written = text;
  }

  /** What the anchors say is wrong with a trail whose last row is `last`, or null. */
  check(
    last: AuditHead | null,
    hashOf: (id: number) => string | undefined,
    meta: AuditHead | null = this.meta(),
  ): { bad_id: number; problem: string } | null {
    const end = last?.id ?? 0;
    for (const [where, head] of [
      ['its head', this.fromFile()],
      ['the head in the store', meta],
    ] as const) {
      if (!head) continue;
      if (head.id > end)
        return {
          bad_id: end + 1,
          problem: `the audit trail ends at row ${end} but ${where} says ${head.id}: ${span(end + 1, head.id)} removed`,
        };
      if (hashOf(head.id) !== head.hash)
        return { bad_id: head.id, problem: `row ${head.id} is not the row ${where} names (the trail was rewritten)` };
    }
    if (meta && last && meta.id < last.id)
      return {
        bad_id: meta.id + 1,
        problem: `${span(meta.id + 1, last.id)} added outside the kernel (the head in the store says ${meta.id})`,
      };
    return null;
  }
}
