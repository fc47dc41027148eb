import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../../kernel/store/audit.js';
import { Store } from '../../../kernel/store/store.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

async function fresh(): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-audit-anchor-'));
  return path.join(dir, 'aos.db');
}

/** Open the store as a kernel start does, append `n` decisions, commit and close. */
function append(file: string, n: number): void {
  const store = Store.open(file);
  const audit = new AuditTrail(store);
  for (let i = 0; i < n; i++) audit.record({ pid: 1, call: 'EXEC_CMD', subject: `exec:rm -rf /tmp/${i}`, decision: 'deny', rule: 'deny: "exec:rm *"', decided_by: 'policy' });
  store.close();
}

function verify(file: string): ReturnType<AuditTrail['verify']> {
  const store = Store.open(file);
  try {
    return new AuditTrail(store).verify();
  } finally {
    store.close();
  }
}

/** What an intruder with the store file does while the kernel is stopped. */
function sql(file: string, statement: string): void {
  const db = new Database(file);
  db.prepare(statement).run();
  db.close();
}

describe("the audit trail's head, kept outside its table", () => {
  it('verifies an intact trail and keeps its head in $AOS_HOME/audit.head (0600)', async () => {
    const file = await fresh();
    append(file, 3);
    append(file, 2);
    expect(verify(file)).toMatchObject({ ok: true, rows: 5 });
    const head = path.join(dir, 'audit.head');
    expect(JSON.parse(await readFile(head, 'utf8'))).toMatchObject({ id: 5 });
    expect((await stat(head)).mode & 0o777).toBe(0o600);
  });

  it('names the rows cut from the end while the kernel was stopped', async () => {
    const file = await fresh();
    append(file, 5);
    sql(file, 'DELETE FROM audit WHERE id > 3');
    expect(verify(file)).toEqual({ ok: false, rows: 3, bad_id: 4, problem: 'the audit trail ends at row 3 but its head says 5: rows 4..5 were removed', keyed_from: 1 });
  });

  it('still names them when the head in the store was edited too, or the file is gone', async () => {
    const file = await fresh();
    append(file, 4);
    sql(file, 'DELETE FROM audit WHERE id > 2');
    sql(file, `UPDATE meta SET value = (SELECT json_object('id', id, 'hash', hash) FROM audit WHERE id = 2) WHERE key = 'audit_head'`);
    expect(verify(file)).toMatchObject({ ok: false, bad_id: 3, problem: expect.stringMatching(/ends at row 2 but its head says 4: rows 3\.\.4 were removed/) });

    await rm(path.join(dir, 'audit.head'));
    sql(file, `UPDATE meta SET value = '{"id":4,"hash":"x"}' WHERE key = 'audit_head'`);
    expect(verify(file)).toMatchObject({ ok: false, bad_id: 3, problem: expect.stringMatching(/ends at row 2 but the head in the store says 4/) });
  });

  it('keeps the gap on record when the kernel goes on after the cut', async () => {
    const file = await fresh();
    append(file, 5);
    sql(file, 'DELETE FROM audit WHERE id > 3');
    append(file, 2);
    expect(verify(file)).toMatchObject({ ok: false, rows: 3, bad_id: 6, problem: 'row 4 is missing' });
  });

  it('treats a trail without a head yet (first start) as intact and anchors it', async () => {
    const file = await fresh();
    expect(verify(file)).toMatchObject({ ok: true, rows: 0 });
    append(file, 2);
    await rm(path.join(dir, 'audit.head'));
    sql(file, "DELETE FROM meta WHERE key = 'audit_head'");
    expect(verify(file)).toMatchObject({ ok: true, rows: 2 });
    expect(JSON.parse(await readFile(path.join(dir, 'audit.head'), 'utf8'))).toMatchObject({ id: 2 });
  });
});
