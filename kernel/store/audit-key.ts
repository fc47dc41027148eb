/**
 * The audit trail's key (issue 27.6): with a plain hash chain, whoever could edit aos.db could
 * edit a row, re-hash the rest and update both heads, and `aos audit verify` passed. Rows are now
 * chained with HMAC-SHA256 under a key that lives outside the store, in `audit.key` beside it
 * (mode 0600, refused when others can read it). The file also says from which row the chain is
 * keyed: a trail older than its key keeps its first rows hashed, not keyed, and an edit of the
 * store cannot move that line. Someone who can read the key can still rewrite the trail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';

export interface AuditKey {
  key: Buffer;
  /** The first row keyed with it; rows before it are plain sha256 (a trail older than the key). */
  from: number;
  /** A short fingerprint of the key (kept in the store's meta to notice a replaced key). */
  id: string;
  file: string | null;
}

/** Where a store's key lives: beside the store (null for an in-memory store). */
export function auditKeyFile(storeFile: string): string | null {
  return storeFile === ':memory:' ? null : path.join(path.dirname(storeFile), 'audit.key');
}

const fingerprint = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

function parse(file: string, text: string): { key: Buffer; from: number } {
  try {
    const v = JSON.parse(text) as { key?: unknown; from?: unknown };
    if (
      typeof v.key === 'string' &&
      /^[0-9a-f]{64}$/.test(v.key) &&
      Number.isSafeInteger(v.from) &&
      (v.from as number) >= 1
    ) {
      return { key: Buffer.from(v.key, 'hex'), from: v.from as number };
    }
  } catch {
    // fall through
  }
  throw new AosError(
    'EIO',
    `the audit key ${file} is not one aos wrote; restore it from a backup, or move it away to start a new key (aos audit verify will then say the old rows cannot be checked)`,
  );
}

/** The store's key, made now (keying rows from `nextId` on) when there is none. */
export function loadAuditKey(storeFile: string, nextId: number): AuditKey {
  const file = auditKeyFile(storeFile);
  if (file === null) {
    const key = randomBytes(32);
    return { key, from: 1, id: fingerprint(key), file };
  }
  let text: string | null = null;
  try {
    const info = statSync(file);
    if ((info.mode & 0o077) !== 0)
      throw new AosError(
        'EACCES',
        `the audit key ${file} can be read by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 ${file}`,
      );
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof AosError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null) {
    const { key, from } = parse(file, text);
    return { key, from, id: fingerprint(key), file };
  }
  const key = randomBytes(32);
  const aside = `${file}.${process.pid}.tmp`;
  rmSync(aside, { force: true });
  writeFileSync(aside, `${JSON.stringify({ key: key.toString('hex'), from: nextId })}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(aside, file);
  return { key, from: nextId, id: fingerprint(key), file };
}
