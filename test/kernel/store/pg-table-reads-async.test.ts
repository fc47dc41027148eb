/**
 * The PostgreSQL store's tables kept by modules of their own answer clients with awaited reads
 * (issue 48, item 5; awaited.ts): while a lock another session holds makes each wait, the kernel's
 * thread goes on (a timer, setImmediate, another client answered), then each answers with the right
 * rows — the audit trail's list, pages, verify and export (`aos audit`, `audit verify`, `audit
 * export`, blame), the journal's history, entries and later changes (`blame`, `diff`, `rollback`),
 * a unit's runs (`unit ls/show/runs`), a budget's spend (`budget show`), a thread's links, entries
 * and search (`inspect`, `thread show`, HISTORY_SEARCH) and the event search (the web view,
 * HISTORY_SEARCH). A write queued before an awaited read is in its answer (it waits for the commit
 * first), and on SQLite the awaited reads answer what the synchronous ones do.
 */
import { describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../../protocol/events.js';
import type { KernelStore, SpendRecord } from '../../../kernel/store/api.js';
import { Store } from '../../../kernel/store/store.js';
import { PG_SKIP } from '../cluster/pg-fixture.js';
import { lockTables, loopGoesOn, pgStoresPerFile, storeWaitsOnLock } from './pg-lock.js';

const APP = 'aos:table-reads';
const pgStore = pgStoresPerFile(APP);

const ev = (pid: number, type: string, text: string): KernelEvent =>
  ({ ts: '2026-11-25T10:00:00.000Z', pid, turn: 1, seq: 1, type, text }) as unknown as KernelEvent;

const spend = (window: string, usd: number): SpendRecord => ({
  budget: 'daily',
  key: 'all',
  window,
  usd,
  tokens: 10,
  raised_usd: 0,
  raised_tokens: 0,
  warned: 0,
  updated_at: 1_700_000_000_000,
});

/** One of each row the tables below are read for. */
function fill(store: KernelStore): void {
  store.audit.record({ pid: 1, call: 'FS_WRITE', subject: '/a', decision: 'allow', rule: 'r', decided_by: 'policy' });
  store.audit.record({ pid: 2, call: 'EXEC_CMD', subject: 'ls', decision: 'deny', rule: 'r', decided_by: 'policy' });
  store.audit.record({ pid: 1, call: 'FS_WRITE', subject: '/b', decision: 'allow', rule: 'r', decided_by: 'policy' });
  store.journal.record({ pid: 1, turn: 1, path: '/a', before: null, after_hash: 'h1', call: 'FS_WRITE' });
  store.journal.record({ pid: 2, turn: 1, path: '/a', before: Buffer.from('x'), after_hash: 'h2', call: 'FS_WRITE' });
  const run = { unit: 'u', trigger: 'by hand', scheduled_for: null, fired_at: 1, pid: 1, reason: null };
  store.units.addRun({ ...run, outcome: 'started' });
  store.units.addRun({ ...run, pid: null, outcome: 'skipped', reason: 'overlap' });
  store.spend.put(() => spend('daily:2026-11-25', 1.5));
  store.spend.put(() => spend('daily:2026-11-26', 0.5));
  store.threads.put(() => ({
    key: 'notes',
    created_at: 1,
    created_by: 1,
    entries: 1,
    last_seq: 1,
    last_at: 1,
    summary: '',
    summary_through: 0,
    summary_at: null,
    pending_chars: 0,
    dropped_through: 0,
    summary_outside: 0,
  }));
  store.threads.append({ key: 'notes', seq: 1, ts: 1, pid: 1, unit: null, kind: 'note', text: 'the zebra crossing' });
  store.threads.link('notes', 1, 'wrote');
  store.events.add(ev(1, 'result', 'an aardvark here'));
  store.events.add(ev(2, 'result', 'an aardvark there'));
}

/** Every awaited read below, started now; each name is pushed to `settled` when it answers. */
function readAll(store: KernelStore, settled: string[]) {
  const track = <T>(name: string, p: Promise<T>): Promise<T> => p.finally(() => settled.push(name));
  const { audit, journal, units, spend: budget, threads, events } = store;
  return Promise.all([
    track('audit', audit.awaited.list({ limit: 10 })),
    track('audit --pid', audit.awaited.list({ pid: 1, limit: 10 })),
    track('audit rows', audit.awaited.page(0, 10, 2)),
    track('audit verify', audit.awaited.verify()),
    track('audit export', audit.awaited.signExport(1)),
    track('blame', journal.awaited.history('/a')),
    track('diff', journal.awaited.entries([1], 0)),
    track('rollback', journal.awaited.laterByOthers('/a', 1, [1])),
    track('unit runs', units.awaited.runs('u', 10)),
    track('budget show', budget.awaited.history('daily', 10)),
    track('inspect', threads.awaited.links([1])),
    track('thread show', threads.awaited.byKey('notes')),
    track('thread read', threads.entries('notes', { limit: 10 })),
    track('thread search', threads.search(['notes'], '"zebra"*', { sinceTs: 0, limit: 10 })),
    track('search', events.search('aardvark', { pid: null, before: null, limit: 10 })),
    track('history search', events.searchTree('aardvark', { pids: [2], since: null, types: ['result'], limit: 5 })),
  ]);
}

type Answers = Awaited<ReturnType<typeof readAll>>;

function expectRight([list, pid1, page, verdict, exported, blame, diff, later, runs, budget, ...rest]: Answers): void {
  const [links, byKey, entries, found, search, tree] = rest;
  expect(list.map((r) => [r.id, r.pid, r.call])).toEqual([
    [1, 1, 'FS_WRITE'],
    [2, 2, 'EXEC_CMD'],
    [3, 1, 'FS_WRITE'],
  ]);
  expect(pid1.map((r) => r.id)).toEqual([1, 3]);
  expect(page.map((r) => r.id)).toEqual([1, 2]);
  expect(verdict).toMatchObject({ ok: true, rows: 3, head: list[2]?.hash });
  expect(exported.header.statement).toMatchObject({ after: 1, first_id: 2, last_id: 3, rows: 2 });
  expect(blame.map((e) => [e.pid, e.after_hash])).toEqual([
    [1, 'h1'],
    [2, 'h2'],
  ]);
  expect(diff.map((e) => e.pid)).toEqual([1]);
  expect(later?.pid).toBe(2);
  expect(runs.map((r) => r.outcome)).toEqual(['skipped', 'started']);
  expect(budget.map((r) => [r.window, r.usd])).toEqual([
    ['daily:2026-11-26', 0.5],
    ['daily:2026-11-25', 1.5],
  ]);
  expect(links).toEqual([{ key: 'notes', pid: 1, how: 'wrote' }]);
  expect(byKey).toEqual([{ pid: 1, how: 'wrote' }]);
  expect(entries.map((e) => e.text)).toEqual(['the zebra crossing']);
  expect(found.map((e) => e.seq)).toEqual([1]);
  expect(search.map((r) => r.id)).toEqual([2, 1]);
  expect(tree.map((r) => r.id)).toEqual([2]);
}

const TABLES = ['audit', 'journal', 'unit_runs', 'budget_spend', 'thread_links', 'thread_entries', 'events'];

describe.skipIf(PG_SKIP)("the PostgreSQL store's own tables answer clients without blocking the kernel", () => {
  it('goes on while audit, journal, unit runs, spend, threads and search wait on locked tables, then answers right', async () => {
    const { store, schema, admin } = await pgStore();
    fill(store);
    await store.committed();
    await store.events.indexAll(100);
    const release = await lockTables(admin, schema, TABLES);
    const settled: string[] = [];
    const reads = readAll(store, settled);
    // Before, each of these sat in Atomics.wait on the kernel's thread until the lock went.
    await storeWaitsOnLock(admin, APP);
    expect({ loop: await loopGoesOn(admin), settled }).toEqual({ loop: 3, settled: [] });
    await release();
    expectRight(await reads);
  }, 30_000);

  it('answers a read with the writes queued before it: the commit goes first, awaited, the loop free while it waits', async () => {
    const { store, schema, admin } = await pgStore();
    // The audit trail reads its head when it opens (the kernel opens it at start-up, before it serves anyone).
    void store.audit;
    const release = await lockTables(admin, schema, TABLES);
    // Queued, not committed: the commit waits on the lock, and so does every read behind it.
    fill(store);
    const settled: string[] = [];
    const reads = readAll(store, settled);
    await storeWaitsOnLock(admin, APP);
    expect({ loop: await loopGoesOn(admin), settled }).toEqual({ loop: 3, settled: [] });
    await release();
    const answers = await reads;
    const [list, , , verdict, , blame, , , runs, budget, links] = answers;
    expect(list.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(verdict).toMatchObject({ ok: true, rows: 3 });
    expect(blame).toHaveLength(2);
    expect(runs).toHaveLength(2);
    expect(budget).toHaveLength(2);
    expect(links).toHaveLength(1);
  }, 30_000);

  it('names a broken trail the same way awaited as at once', async () => {
    const { store, schema, admin } = await pgStore();
    fill(store);
    await store.committed();
    await admin.query(`UPDATE "${schema}".audit SET subject = '/elsewhere' WHERE id = 2`);
    const verdict = await store.audit.awaited.verify();
    expect(verdict).toMatchObject({ ok: false, bad_id: 2 });
    expect(verdict).toEqual(store.audit.verify());
    await expect(store.audit.awaited.signExport(0)).rejects.toThrow(/broken at record #2/);
  }, 30_000);
});

describe('the awaited reads on SQLite', () => {
  it('answer what the synchronous reads answer', async () => {
    const store = Store.open(':memory:');
    try {
      fill(store);
      await store.committed();
      await store.events.indexAll(100);
      const answers = await readAll(store, []);
      expectRight(answers);
      const [list, pid1, page, verdict, , blame, diff, later, runs, budget, links, byKey] = answers;
      expect(list).toEqual(store.audit.list({ limit: 10 }));
      expect(pid1).toEqual(store.audit.list({ pid: 1, limit: 10 }));
      expect(page).toEqual(store.audit.page(0, 10, 2));
      expect(verdict).toEqual(store.audit.verify());
      expect(blame).toEqual(store.journal.history('/a'));
      expect(diff).toEqual(store.journal.entries([1], 0));
      expect(later).toEqual(store.journal.laterByOthers('/a', 1, [1]));
      expect(runs).toEqual(store.units.runs('u', 10));
      expect(budget).toEqual(store.spend.history('daily', 10));
      expect(links).toEqual(store.threads.links([1]));
      expect(byKey).toEqual(store.threads.byKey('notes'));
    } finally {
      store.close();
    }
  });
});
