/**
 * The PostgreSQL store's reads that answer clients are awaited (issue 48, item 5): while the
 * database makes them wait — here a lock another session holds on the tables they read — the
 * kernel's thread goes on (timers fire, setImmediate runs, another client's queries are answered
 * on it), and each answers once the lock goes: `ps --all` and `ps --last` (processes.psColumns),
 * `logs` (events.of, stored), `history` (events.recent), `inspect`, `fork`, `rm` and `prune`
 * (processes.get, subtree, summaries, prunable, ofTree), a stream's resume (events.after, lastId),
 * and the awaited flush before them (`flushed`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { KernelStore, ProcessRecord } from '../../../kernel/store/api.js';
import { openStore } from '../../../kernel/store/open.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { PG_SKIP, postgresPerFile } from '../cluster/pg-fixture.js';

const pgServer = postgresPerFile();
let opened: KernelStore[] = [];
let admins: pg.Client[] = [];
afterEach(async () => {
  for (const a of admins) await a.end().catch(() => undefined);
  admins = [];
  for (const s of opened) s.close();
  opened = [];
});

let schemas = 0;
async function pgStore(): Promise<{ store: KernelStore; schema: string; admin: pg.Client }> {
  const url = await pgServer.server.createDatabase();
  const schema = `aos_node_r${++schemas}`;
  const { store } = openStore({ url, schema, applicationName: 'aos:reads', file: ':memory:' });
  opened.push(store);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  admins.push(admin);
  return { store, schema, admin };
}

function record(pid: number, over: Partial<ProcessRecord> = {}): ProcessRecord {
  return {
    pid,
    ppid: 0,
    tree: pid,
    name: `name-${pid}`,
    role: 'role',
    task: 'task',
    model: 'replay:model',
    priority: 3,
    capabilities: '["ipc"]',
    pipe_to: null,
    created_at: 1_700_000_000_000 + pid,
    started_at: 1_700_000_000_500,
    ended_at: 1_700_000_001_000,
    state: 'exited',
    exit_code: 0,
    exit_reason: null,
    output: null,
    turns: 1,
    syscalls: 1,
    prompt_tokens: 10,
    output_tokens: 5,
    cached_tokens: 0,
    cost: 0.01,
    max_turns: 40,
    wait: null,
    model_mix: null,
    runtime: '{}',
    ...over,
  };
}

const ev = (pid: number, type: string): KernelEvent =>
  ({ ts: '2026-11-25T10:00:00.000Z', pid, type }) as unknown as KernelEvent;

/** The store's session is waiting on a lock (a read of it is in flight on the server). */
async function storeWaitsOnLock(admin: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'aos:reads' AND wait_event_type = 'Lock'",
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Timers and setImmediate run, and another client is answered, while the store's reads wait. */
async function loopGoesOn(admin: pg.Client): Promise<number> {
  let ticks = 0;
  await new Promise<void>((resolve) => setTimeout(() => resolve(void ticks++), 5));
  await new Promise<void>((resolve) => setImmediate(() => resolve(void ticks++)));
  const { rows } = await admin.query('SELECT 1 AS one');
  return ticks + (rows[0] as { one: number }).one;
}

describe.skipIf(PG_SKIP)('the PostgreSQL store answers clients without blocking the kernel', () => {
  it('goes on while ps --all, ps --last, inspect, rm and prune wait on a locked processes table', async () => {
    const { store, schema, admin } = await pgStore();
    store.processes.save(1, () => record(1));
    store.processes.save(2, () => record(2, { ppid: 1, tree: 1 }));
    await store.committed();
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${schema}".processes IN ACCESS EXCLUSIVE MODE`);
    const settled: string[] = [];
    const track = <T>(name: string, p: Promise<T>): Promise<T> => p.finally(() => settled.push(name));
    const reads = Promise.all([
      track('ps --all', store.processes.psColumns()),
      track('ps --last', store.processes.psColumns(1)),
      track('inspect', store.processes.get(2)),
      track('rm', store.processes.subtree(1)),
      track('summaries', store.processes.summaries([1, 2])),
      track('prune', store.processes.prunable(Date.now(), 10)),
      track('ofTree', store.processes.ofTree(1)),
    ]);
    // On the old bridge the kernel's thread sat in Atomics.wait here: no timer, no other client, until the lock went.
    await storeWaitsOnLock(admin);
    expect({ loop: await loopGoesOn(admin), settled }).toEqual({ loop: 3, settled: [] });
    await admin.query('ROLLBACK');
    const [ps, last, row, tree, summaries, prunable, ofTree] = await reads;
    expect(ps.map((r) => r.pid)).toEqual([1, 2]);
    expect(last.map((r) => r.pid)).toEqual([2]);
    expect(row?.ppid).toBe(1);
    expect(tree).toEqual([1, 2]);
    expect(summaries.map((r) => r.pid).sort()).toEqual([1, 2]);
    expect(prunable.map((r) => r.pid).sort()).toEqual([1, 2]);
    expect(ofTree.map((r) => r.pid).sort()).toEqual([1, 2]);
  }, 20_000);

  it('goes on while logs, history and a stream resume wait on a locked events table', async () => {
    const { store, schema, admin } = await pgStore();
    store.events.add(ev(1, 'spawn'));
    store.events.add(ev(2, 'spawn'));
    store.events.add(ev(1, 'model'));
    await store.committed();
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${schema}".events IN ACCESS EXCLUSIVE MODE`);
    let answered = 0;
    const count = <T>(p: Promise<T>): Promise<T> => p.finally(() => void answered++);
    const reads = Promise.all([
      count(store.events.of([1])),
      count(store.events.stored([1, 2], 2)),
      count(store.events.recent(2)),
      count(store.events.after(1, 10)),
      count(store.events.lastId()),
    ]);
    await storeWaitsOnLock(admin);
    expect({ loop: await loopGoesOn(admin), answered }).toEqual({ loop: 3, answered: 0 });
    await admin.query('ROLLBACK');
    const [logs, stored, history, after, lastId] = await reads;
    expect(logs.map((e) => e.type)).toEqual(['spawn', 'model']);
    expect(stored.map((e) => e.event.type)).toEqual(['spawn', 'model']);
    expect(history.map((e) => `${e.pid}:${e.type}`)).toEqual(['2:spawn', '1:model']);
    expect(after.map((r) => r.id)).toEqual([2, 3]);
    expect(lastId).toBe(3);
  }, 20_000);

  it('awaits the flush before a read: the commit waits on the lock, the loop goes on, then the read sees it', async () => {
    const { store, schema, admin } = await pgStore();
    store.events.add(ev(1, 'spawn'));
    await store.committed();
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${schema}".events IN ACCESS EXCLUSIVE MODE`);
    store.events.add(ev(1, 'exit'));
    let flushed: boolean | null = null;
    const flush = store.flushed().then((ok) => (flushed = ok));
    await storeWaitsOnLock(admin);
    expect({ loop: await loopGoesOn(admin), flushed }).toEqual({ loop: 3, flushed: null });
    await admin.query('ROLLBACK');
    await flush;
    expect(flushed).toBe(true);
    expect((await store.events.of([1])).map((e) => e.type)).toEqual(['spawn', 'exit']);
  }, 20_000);
});
