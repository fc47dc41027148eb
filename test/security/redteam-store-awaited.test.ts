/**
 * Red team on the store's awaited reads (issue 48, item 5): the audit trail verified and exported
 * through the awaited walk (a page of rows at a time, on PostgreSQL) must catch every tampering
 * the synchronous walk catches, and name it the same way — a row edited past the first page, a row
 * removed from the middle, rows cut from the end, a head rewritten, a row added outside the
 * kernel — and an export of a tampered trail is refused. Reads that answer clients take what a
 * client or a model wrote as values, never as SQL.
 */
import { describe, expect, it } from 'vitest';
import type { KernelStore } from '../../kernel/store/api.js';
import { PG_SKIP } from '../kernel/cluster/pg-fixture.js';
import { pgStoresPerFile } from '../kernel/store/pg-lock.js';

const pgStore = pgStoresPerFile('aos:redteam-awaited');

function decide(store: KernelStore, n: number): void {
  for (let i = 0; i < n; i++)
    store.audit.record({
      pid: 1 + (i % 3),
      call: 'FS_WRITE',
      subject: `/f${i}`,
      decision: 'allow',
      rule: 'r',
      decided_by: 'policy',
    });
}

/** The awaited verdict is the synchronous one, it is a failure at `bad`, and an export is refused. */
async function caught(store: KernelStore, bad: number): Promise<void> {
  const verdict = await store.audit.awaited.verify();
  expect(verdict).toEqual(store.audit.verify());
  expect(verdict).toMatchObject({ ok: false, bad_id: bad });
  await expect(store.audit.awaited.signExport(0)).rejects.toThrow(/broken at record/);
}

describe.skipIf(PG_SKIP)('the awaited audit walk on PostgreSQL catches what the synchronous one does', () => {
  it('a row edited past the first page of the walk', async () => {
    const { store, schema, admin } = await pgStore();
    decide(store, 2_300);
    await store.committed();
    expect(await store.audit.awaited.verify()).toMatchObject({ ok: true, rows: 2_300 });
    await admin.query(`UPDATE "${schema}".audit SET decision = 'deny' WHERE id = 2201`);
    await caught(store, 2201);
  }, 60_000);

  it('a row removed from the middle, rows cut from the end, a rewritten head, a row added outside', async () => {
    const removed = await pgStore();
    decide(removed.store, 5);
    await removed.store.committed();
    await removed.admin.query(`DELETE FROM "${removed.schema}".audit WHERE id = 3`);
    await caught(removed.store, 4);

    const cut = await pgStore();
    decide(cut.store, 5);
    await cut.store.committed();
    await cut.admin.query(`DELETE FROM "${cut.schema}".audit WHERE id > 3`);
    await caught(cut.store, 4);

    const rewritten = await pgStore();
    decide(rewritten.store, 3);
    await rewritten.store.committed();
    await rewritten.admin.query(
      `UPDATE "${rewritten.schema}".meta SET value = '{"id":3,"hash":"${'f'.repeat(64)}"}' WHERE key = 'audit_head'`,
    );
    await caught(rewritten.store, 3);

    const added = await pgStore();
    decide(added.store, 2);
    await added.store.committed();
    await added.admin.query(
      `INSERT INTO "${added.schema}".audit SELECT 3, ts, pid, call, subject, decision, rule, decided_by, via, reason, approval, hash, hash FROM "${added.schema}".audit WHERE id = 2`,
    );
    await caught(added.store, 3);
  }, 60_000);

  it("takes a client's or a model's words as values: a path, a unit and a budget spelled as SQL", async () => {
    const { store } = await pgStore();
    const evil = "x' OR '1'='1'; DROP TABLE journal; --";
    store.journal.record({ pid: 1, turn: 1, path: evil, before: null, after_hash: 'h', call: 'FS_WRITE' });
    store.journal.record({ pid: 2, turn: 1, path: '/other', before: null, after_hash: 'h', call: 'FS_WRITE' });
    const run = { unit: evil, trigger: 'by hand', scheduled_for: null, fired_at: 1, pid: null, reason: null };
    store.units.addRun({ ...run, outcome: 'skipped' });
    expect((await store.journal.awaited.history(evil)).map((e) => e.pid)).toEqual([1]);
    expect(await store.journal.awaited.history("' OR 1=1 --")).toEqual([]);
    expect((await store.units.awaited.runs(evil, 10)).map((r) => r.unit)).toEqual([evil]);
    expect(await store.spend.awaited.history(evil, 10)).toEqual([]);
    expect(await store.audit.awaited.list({ pid: 1, since: evil, limit: 10 })).toEqual([]);
    expect((await store.journal.awaited.entries([1, 2])).length).toBe(2);
  }, 30_000);
});
