/**
 * The key that signs audit exports (issue 52.5): Ed25519, made at the first export and kept beside
 * the store in the kernel's home — `audit-sign.key` (PKCS#8 PEM, mode 0600, refused when others can
 * read it) and `audit-sign.pub` (its public half, to hand to whoever checks an export). The home is
 * outside every workspace an agent sees, so no agent can read or replace it. An in-memory store
 * signs with a key of its own run, which is lost when the kernel stops (said in the export's result).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import { publicKeyFingerprint } from '../../protocol/audit-export.js';

export interface AuditSigner {
  /** The public key, PEM (SPKI). */
  publicKey: string;
  fingerprint: string;
  /** Where the private key is kept (null: in memory, for this run only). */
  file: string | null;
  sign(data: Buffer): string;
}

export function auditSignFile(storeFile: string): string | null {
  return storeFile === ':memory:' ? null : path.join(path.dirname(storeFile), 'audit-sign.key');
}

function signer(privateKey: KeyObject, file: string | null): AuditSigner {
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return {
    publicKey,
    fingerprint: publicKeyFingerprint(publicKey),
    file,
    sign: (data) => sign(null, data, privateKey).toString('base64'),
  };
}

function readKey(file: string): KeyObject | null {
  let text: string;
  try {
    const info = statSync(file);
    if ((info.mode & 0o077) !== 0)
      throw new AosError(
        'EACCES',
        `the audit signing key ${file} can be read by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 ${file}`,
      );
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const key = createPrivateKey(text);
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // named below
  }
  throw new AosError(
    'EIO',
    `the audit signing key ${file} is not an Ed25519 private key aos wrote; restore it, or move it away to make a new one (exports signed before can then only be checked with the old public key)`,
  );
}

/** The home's signing key, made now when there is none (the public half written beside it). */
export function loadAuditSigner(storeFile: string): AuditSigner {
  const file = auditSignFile(storeFile);
  if (file === null) return signer(generateKeyPairSync('ed25519').privateKey, null);
  const existing = readKey(file);
  if (existing) return writePublic(signer(existing, file));
  const { privateKey } = generateKeyPairSync('ed25519');
  const aside = `${file}.${process.pid}.tmp`;
  rmSync(aside, { force: true });
  writeFileSync(aside, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  renameSync(aside, file);
  return writePublic(signer(privateKey, file));
}

/** `audit-sign.pub` beside the key, rewritten when missing or not this key's. */
function writePublic(s: AuditSigner): AuditSigner {
  if (s.file === null) return s;
  const pub = s.file.replace(/\.key$/, '.pub');
  let current: string | null = null;
  try {
    current = readFileSync(pub, 'utf8');
  } catch {
    current = null;
  }
  if (current !== s.publicKey) {
    const aside = `${pub}.${process.pid}.tmp`;
    // Made afresh (wx), never through a name placed there before: a symlink would be followed.
    rmSync(aside, { force: true });
    writeFileSync(aside, s.publicKey, { mode: 0o644, flag: 'wx' });
    renameSync(aside, pub);
  }
  return s;
}
