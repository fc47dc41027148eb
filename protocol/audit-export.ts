/**
 * An audit export an outsider can check (issue 52.5). The trail itself is chained with an HMAC
 * under a key that never leaves the kernel's home (kernel/store/audit-key.ts), so nobody else can
 * check it. An export is that trail's rows, a digest over them, and a statement of what was
 * exported signed with Ed25519 (kernel/store/audit-sign.ts): whoever has the public key checks
 * the file on another machine, with no kernel and no HMAC key.
 *
 * The file is JSON lines: the first line is `{format, statement, signature}`, then one row a line
 * in id order. The digest is a SHA-256 chain over each row's canonical form (its fields in a fixed
 * order, its keyed `prev` and `hash` included), so editing, inserting, removing or reordering a row
 * changes it; the rows' own `prev` links are checked too. This module is pure: the daemon uses it
 * to sign and the CLI to write and check, and a third party can re-implement it from this text.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';

export const EXPORT_FORMAT = 'aos-audit-export/1';

/** The fields of a row, in the order the digest reads them. */
const ROW_FIELDS = [
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
  'prev',
  'hash',
] as const;

/** A row's line in an export: its fields, and only those, in ROW_FIELDS' order. A verifier takes no other spelling (no extra field, no key twice). */
export function canonicalRowLine(row: object): string {
  const fields = row as Readonly<Record<string, unknown>>;
  return JSON.stringify(Object.fromEntries(ROW_FIELDS.map((f) => [f, fields[f] ?? null])));
}

export type ExportRow = { [K in (typeof ROW_FIELDS)[number]]: K extends 'id' | 'pid' ? number : string | null };

/** What the signature covers. */
export interface ExportStatement {
  format: typeof EXPORT_FORMAT;
  /** The exporting kernel's clock, not a trusted timestamp. */
  exported_at: string;
  /** Rows after this id are exported (0: the whole trail). */
  after: number;
  first_id: number | null;
  last_id: number | null;
  rows: number;
  /** The keyed chain's head at `last_id` (the trail's own hash of its last exported row). */
  head: string | null;
  /** The first row chained with the HMAC key (rows before it are plain SHA-256). */
  keyed_from: number;
  /** The SHA-256 chain over the exported rows (exportDigest). */
  digest: string;
  /** The signing key's fingerprint (publicKeyFingerprint). */
  key: string;
}

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  statement: ExportStatement;
  /** Ed25519 over canonicalStatement(statement), base64. */
  signature: string;
}

const STATEMENT_FIELDS = [
  'format',
  'exported_at',
  'after',
  'first_id',
  'last_id',
  'rows',
  'head',
  'keyed_from',
  'digest',
  'key',
] as const;

/** The bytes signed: the statement's fields in a fixed order, as JSON. */
export function canonicalStatement(statement: ExportStatement): string {
  return JSON.stringify(STATEMENT_FIELDS.map((f) => [f, statement[f]]));
}

/** The digest chain: starts from the format's name, each row folds in its canonical form. */
export class ExportDigest {
  private value = createHash('sha256').update(EXPORT_FORMAT).digest('hex');
  count = 0;

  add(row: object): void {
    const fields = row as Readonly<Record<string, unknown>>;
    const body = JSON.stringify(ROW_FIELDS.map((f) => fields[f] ?? null));
    this.value = createHash('sha256').update(this.value).update('\n').update(body).digest('hex');
    this.count++;
  }

  get hex(): string {
    return this.value;
  }
}

/** A public key's fingerprint: `ed25519:` and the first 32 hex digits of the SHA-256 of its SPKI DER. */
export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return `ed25519:${createHash('sha256').update(der).digest('hex').slice(0, 32)}`;
}

export type ExportVerdict =
  | {
      ok: true;
      statement: ExportStatement;
      /** The first row's `prev`: the hash of row `after` (null: no rows). */ first_prev: string | null;
    }
  | { ok: false; problem: string; line: number | null; statement: ExportStatement | null };

function asRow(value: unknown): ExportRow | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (!Number.isSafeInteger(v.id) || !Number.isSafeInteger(v.pid)) return null;
  for (const f of ROW_FIELDS) {
    if (f === 'id' || f === 'pid') continue;
    if (!(f in v) || (v[f] !== null && typeof v[f] !== 'string')) return null;
  }
  return v as unknown as ExportRow;
}

function asHeader(value: unknown): ExportHeader | null {
  if (typeof value !== 'object' || value === null) return null;
  const h = value as Partial<ExportHeader>;
  const st = h.statement as Partial<ExportStatement> | undefined;
  if (h.format !== EXPORT_FORMAT || typeof h.signature !== 'string' || typeof st !== 'object' || st === null)
    return null;
  if (
    st.format !== EXPORT_FORMAT ||
    typeof st.exported_at !== 'string' ||
    !Number.isSafeInteger(st.after) ||
    !Number.isSafeInteger(st.rows) ||
    !Number.isSafeInteger(st.keyed_from) ||
    typeof st.digest !== 'string' ||
    typeof st.key !== 'string'
  )
    return null;
  return h as ExportHeader;
}

/**
 * Check an export with a public key: the signature over the statement, then every row — ids in
 * order from `after + 1`, each `prev` the hash of the row before it, the count, the last id and
 * head, and the digest. The first problem is named with its line (1 is the header).
 */
export function verifyExport(lines: Iterable<string>, publicKeyPem: string): ExportVerdict {
  let key;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (error) {
    return { ok: false, line: null, statement: null, problem: `the public key is not a PEM key (${String(error)})` };
  }
  if (key.asymmetricKeyType !== 'ed25519')
    return { ok: false, line: null, statement: null, problem: 'the public key is not an Ed25519 key' };
  const it = lines[Symbol.iterator]();
  const first = it.next();
  let header: ExportHeader | null = null;
  try {
    header = first.done ? null : asHeader(JSON.parse(first.value));
  } catch {
    header = null;
  }
  if (!header) return { ok: false, line: 1, statement: null, problem: `line 1 is not an ${EXPORT_FORMAT} header` };
  const statement = Object.fromEntries(
    STATEMENT_FIELDS.map((f) => [f, header.statement[f]]),
  ) as unknown as ExportStatement;
  if (
    (first.done ? '' : first.value.trimEnd()) !==
    JSON.stringify({ format: EXPORT_FORMAT, statement, signature: header.signature })
  )
    return {
      ok: false,
      line: 1,
      statement: null,
      problem: 'line 1 is not spelled as an export writes its header (an extra field, a key twice, another order)',
    };
  const fail = (problem: string, line: number | null): ExportVerdict => ({ ok: false, problem, line, statement });
  if (publicKeyFingerprint(publicKeyPem) !== statement.key)
    return fail(`the export was signed by key ${statement.key}, not by this public key`, 1);
  const signed = verifySignature(
    null,
    Buffer.from(canonicalStatement(statement)),
    key,
    Buffer.from(header.signature, 'base64'),
  );
  if (!signed)
    return fail('the signature does not match the statement (the header was edited or not signed by this key)', 1);
  const digest = new ExportDigest();
  let lineNo = 1;
  let prev: ExportRow | null = null;
  let firstPrev: string | null = null;
  for (let next = it.next(); !next.done; next = it.next()) {
    lineNo++;
    if (next.value.trim() === '') continue;
    let row: ExportRow | null = null;
    try {
      row = asRow(JSON.parse(next.value));
    } catch {
      row = null;
    }
    if (!row) return fail(`line ${lineNo} is not an audit row`, lineNo);
    if (canonicalRowLine(row) !== next.value.trimEnd())
      return fail(
        `line ${lineNo} is not spelled as an export writes a row (an extra field, a key twice, another order)`,
        lineNo,
      );
    const expected = prev ? prev.id + 1 : (statement.first_id ?? statement.after + 1);
    if (row.id !== expected)
      return fail(
        `line ${lineNo} holds row #${row.id} where #${expected} belongs (a row was removed, inserted or moved)`,
        lineNo,
      );
    if (prev && row.prev !== prev.hash)
      return fail(`row #${row.id}'s prev is not the hash of row #${prev.id} (line ${lineNo})`, lineNo);
    if (!prev) firstPrev = row.prev;
    digest.add(row);
    prev = row;
  }
  if (statement.first_id !== null && statement.first_id <= statement.after)
    return fail(`the statement's first row #${statement.first_id} is not after #${statement.after}`, 1);
  if (digest.count !== statement.rows)
    return fail(`the file holds ${digest.count} rows; the signed statement says ${statement.rows}`, null);
  if ((prev?.id ?? null) !== statement.last_id || (prev?.hash ?? null) !== statement.head)
    return fail(`the last row is not the signed last row #${String(statement.last_id)}`, null);
  if (digest.hex !== statement.digest) return fail('the rows do not give the signed digest (a row was edited)', null);
  return { ok: true, statement, first_prev: firstPrev };
}

/**
 * Whether a later export (`--after N`) carries on from an earlier one with nothing left out or
 * changed between: it starts after the earlier one's last row, and its first row's `prev` — signed
 * in its digest — is the earlier one's head. Both must have verified. Null when it does; else why.
 */
export function followsProblem(
  earlier: { statement: ExportStatement },
  later: { statement: ExportStatement; first_prev: string | null },
): string | null {
  const e = earlier.statement;
  const l = later.statement;
  if (e.last_id === null || e.head === null) return 'the earlier export holds no records: it cannot anchor another';
  if (l.after !== e.last_id)
    return `the later export starts after record #${l.after}, the earlier one ends at #${e.last_id}: records #${Math.min(l.after, e.last_id) + 1}..#${Math.max(l.after, e.last_id)} are ${l.after > e.last_id ? 'in neither' : 'in both'}`;
  if (l.rows > 0 && later.first_prev !== e.head)
    return `record #${String(l.first_id)} does not follow the earlier export's head: the trail between them was changed`;
  return null;
}
