/**
 * The audit chain is keyed (issue 27.6): an intruder who can rewrite aos.db and audit.head — edit a
 * row, re-hash every row after it, update both heads — still fails `verify`, because the hashes
 * are HMACs under audit.key, which lives outside the store.
 */
import { createHash, createHmac } from 'node:crypto';
import { chmod, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRow } from '../../../kernel/store/audit.js';
import { append as appendRows, auditFiles, verify } from './audit-files.js';

const files = auditFiles('aos-audit-key-');
afterEach(() => files.dispose());
const fresh = (): Promise<string> => files.fresh();
const append = (file: string, n: number): void =>
  appendRows(file, n, (i) => ({
    pid: 1,
    call: 'FS_WRITE',
    subject: `/src/${i}.js`,
    decision: 'deny',
    rule: 'deny: "fs.write:/src/**"',
    decided_by: 'policy',
  }));

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

/** What the intruder does: change row `id`, then re-chain every row after it with `hash` and rewrite both heads. */
async function rewrite(file: string, id: number, hash: (prev: string, body: string) => string): Promise<void> {
  const db = new Database(file);
  db.prepare("UPDATE audit SET decision = 'allow', rule = NULL WHERE id = ?").run(id);
  const rows = db.prepare('SELECT * FROM audit ORDER BY id').all() as AuditRow[];
  let prev = '0'.repeat(64);
  for (const row of rows) {
    const next = hash(prev, JSON.stringify(FIELDS.map((f) => row[f] ?? null)));
    db.prepare('UPDATE audit SET prev = ?, hash = ? WHERE id = ?').run(prev, next, row.id);
    prev = next;
  }
  const last = rows.at(-1) as AuditRow;
  const head = JSON.stringify({ id: last.id, hash: prev });
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)").run(head);
  db.close();
  await writeFile(path.join(path.dirname(file), 'audit.head'), `${head}\n`);
}

describe('the keyed audit chain', () => {
  it('keys a new trail from its first row, with audit.key beside the store (0600)', async () => {
    const file = await fresh();
    append(file, 3);
    expect(verify(file)).toMatchObject({ ok: true, rows: 3, keyed_from: 1 });
    const key = path.join(files.dir, 'audit.key');
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(key, 'utf8'))).toMatchObject({ from: 1 });
  });

  it('names the edited row when it was re-chained with plain sha256 and both heads were rewritten', async () => {
    const file = await fresh();
    append(file, 5);
    await rewrite(file, 2, (prev, body) => createHash('sha256').update(prev).update('\n').update(body).digest('hex'));
    expect(verify(file)).toMatchObject({ ok: false, bad_id: 1 });
  });

  it('names it too when re-chained with an HMAC under a key of the intruder', async () => {
    const file = await fresh();
    append(file, 5);
    await rewrite(file, 4, (prev, body) =>
      createHmac('sha256', Buffer.alloc(32, 7)).update(prev).update('\n').update(body).digest('hex'),
    );
    const verdict = verify(file);
    expect(verdict.ok).toBe(false);
    expect(verdict).toMatchObject({ problem: expect.stringMatching(/keyed hash/) });
  });

  it('never says ok once the key was removed or replaced', async () => {
    const file = await fresh();
    append(file, 2);
    await unlink(path.join(files.dir, 'audit.key'));
    append(file, 1);
    expect(verify(file)).toMatchObject({ ok: false, problem: expect.stringMatching(/removed or replaced/) });
  });

  it('refuses a key others can read', async () => {
    const file = await fresh();
    append(file, 1);
    await chmod(path.join(files.dir, 'audit.key'), 0o644);
    expect(() => verify(file)).toThrow(/can be read by others/);
  });

  it('keys a trail older than its key from the next row on, and says how far back it is hashed only', async () => {
    const file = await fresh();
    append(file, 2);
    // The rows a kernel without keys wrote: plain sha256, and no key yet.
    await rewrite(file, 1, (prev, body) => createHash('sha256').update(prev).update('\n').update(body).digest('hex'));
    await unlink(path.join(files.dir, 'audit.key'));
    const db = new Database(file);
    db.prepare("DELETE FROM meta WHERE key = 'audit_key_id'").run();
    db.close();
    append(file, 2);
    expect(verify(file)).toMatchObject({ ok: true, rows: 4, keyed_from: 3 });
  });
});
