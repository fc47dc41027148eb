import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { append as appendRows, auditFiles, sql, verify } from './audit-files.js';

const files = auditFiles('aos-audit-anchor-');
afterEach(() => files.dispose());
const fresh = (): Promise<string> => files.fresh();
const append = (file: string, n: number): void =>
  appendRows(file, n, (i) => ({
    pid: 1,
    call: 'EXEC_CMD',
    subject: `exec:rm -rf /tmp/${i}`,
    decision: 'deny',
    rule: 'deny: "exec:rm *"',
    decided_by: 'policy',
  }));

describe("the audit trail's head, kept outside its table", () => {
  it('verifies an intact trail and keeps its head in $AOS_HOME/audit.head (0600)', async () => {
    const file = await fresh();
    append(file, 3);
    append(file, 2);
    expect(verify(file)).toMatchObject({ ok: true, rows: 5 });
    const head = path.join(files.dir, 'audit.head');
    expect(JSON.parse(await readFile(head, 'utf8'))).toMatchObject({ id: 5 });
    expect((await stat(head)).mode & 0o777).toBe(0o600);
  });

  it('names the rows cut from the end while the kernel was stopped', async () => {
    const file = await fresh();
    append(file, 5);
    sql(file, 'DELETE FROM audit WHERE id > 3');
    expect(verify(file)).toEqual({
      ok: false,
      rows: 3,
      bad_id: 4,
      problem: 'the audit trail ends at row 3 but its head says 5: rows 4..5 were removed',
      keyed_from: 1,
    });
  });

  it('still names them when the head in the store was edited too, or the file is gone', async () => {
    const file = await fresh();
    append(file, 4);
    sql(file, 'DELETE FROM audit WHERE id > 2');
    sql(
      file,
      `UPDATE meta SET value = (SELECT json_object('id', id, 'hash', hash) FROM audit WHERE id = 2) WHERE key = 'audit_head'`,
    );
    expect(verify(file)).toMatchObject({
      ok: false,
      bad_id: 3,
      problem: expect.stringMatching(/ends at row 2 but its head says 4: rows 3\.\.4 were removed/),
    });

    await rm(path.join(files.dir, 'audit.head'));
    sql(file, `UPDATE meta SET value = '{"id":4,"hash":"x"}' WHERE key = 'audit_head'`);
    expect(verify(file)).toMatchObject({
      ok: false,
      bad_id: 3,
      problem: expect.stringMatching(/ends at row 2 but the head in the store says 4/),
    });
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
    await rm(path.join(files.dir, 'audit.head'));
    sql(file, "DELETE FROM meta WHERE key = 'audit_head'");
    expect(verify(file)).toMatchObject({ ok: true, rows: 2 });
    expect(JSON.parse(await readFile(path.join(files.dir, 'audit.head'), 'utf8'))).toMatchObject({ id: 2 });
  });
});
