/**
 * The audit signing key's files (issue 52.5): the private key made 0600, the public half beside it,
 * and neither written through a name somebody placed in the home before (a symlink is not followed).
 */
import { lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAuditSigner } from '../../../kernel/store/audit-sign.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the audit signing key', () => {
  it('is made 0600 with its public half beside it, and kept across loads', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-auditsign-'));
    const store = path.join(dir, 'aos.db');
    const first = loadAuditSigner(store);
    expect(statSync(path.join(dir, 'audit-sign.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'audit-sign.pub'), 'utf8')).toBe(first.publicKey);
    expect(loadAuditSigner(store).fingerprint).toBe(first.fingerprint);
  });

  it('writes the public half through a fresh file, never through a symlink placed at its temporary name', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-auditsign-'));
    const store = path.join(dir, 'aos.db');
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, path.join(dir, `audit-sign.pub.${process.pid}.tmp`));
    const s = loadAuditSigner(store);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(path.join(dir, 'audit-sign.pub')).isSymbolicLink()).toBe(false);
    expect(readFileSync(path.join(dir, 'audit-sign.pub'), 'utf8')).toBe(s.publicKey);
  });
});
