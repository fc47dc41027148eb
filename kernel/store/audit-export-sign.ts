/**
 * The signed head of an audit export (issue 52.5; the format is protocol/audit-export.ts): the
 * digest over the rows after `after`, and a statement of them signed with the home's Ed25519 key.
 * Only a trail that verifies is signed — an export never vouches for a broken chain.
 */
import {
  EXPORT_FORMAT,
  ExportDigest,
  canonicalStatement,
  type ExportHeader,
  type ExportStatement,
} from '../../protocol/audit-export.js';
import type { AuditSigner } from './audit-sign.js';

export interface SignedExport {
  header: ExportHeader;
  public_key: string;
  /** Where the private key is kept; null when it lives only as long as this kernel (an in-memory store). */
  key_file: string | null;
}

export function signAuditExport(
  rows: Iterable<{ readonly id: number; readonly hash: string }>,
  after: number,
  keyed_from: number,
  signer: AuditSigner,
): SignedExport {
  const digest = new ExportDigest();
  let first: { id: number; hash: string } | null = null;
  let last: { id: number; hash: string } | null = null;
  for (const row of rows) {
    first ??= row;
    last = row;
    digest.add(row);
  }
  const statement: ExportStatement = {
    format: EXPORT_FORMAT,
    exported_at: new Date().toISOString(),
    after,
    first_id: first?.id ?? null,
    last_id: last?.id ?? null,
    rows: digest.count,
    head: last?.hash ?? null,
    keyed_from,
    digest: digest.hex,
    key: signer.fingerprint,
  };
  const signature = signer.sign(Buffer.from(canonicalStatement(statement)));
  return {
    header: { format: EXPORT_FORMAT, statement, signature },
    public_key: signer.publicKey,
    key_file: signer.file,
  };
}
