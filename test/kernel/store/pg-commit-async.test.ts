/**
 * The PostgreSQL store's group commit is awaited (issue 48, item 5): while the database makes a
 * commit wait — here a lock another session holds on a table it writes — the kernel's thread goes
 * on (timers fire, another client's queries are answered on it), the writes queued meanwhile wait
 * for the next commit (never a second one at once), and a commit that fails keeps its writes, in
 * order, and says the store is unhealthy until one works.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { KernelStore, StoredEvent } from '../../../kernel/store/api.js';
import { openStore } from '../../../kernel/store/open.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { param as readonlyParam } from '../../../sys/param.js';
import { PG_SKIP, postgresPerFile } from '../cluster/pg-fixture.js';

const param = readonlyParam as { -readonly [K in keyof typeof readonlyParam]: (typeof readonlyParam)[K] };
const pgServer = postgresPerFile();
let opened: KernelStore[] = [];
let admins: pg.Client[] = [];
const saved = param.pgStoreTimeoutMs;
afterEach(async () => {
  for (const a of admins) await a.end().catch(() => undefined);
  admins = [];
  for (const s of opened) s.close();
  opened = [];
  param.pgStoreTimeoutMs = saved;
});

let schemas = 0;
async function pgStore(): Promise<{ store: KernelStore; schema: string; admin: pg.Client }> {
  const url = await pgServer.server.createDatabase();
  const schema = `aos_node_a${++schemas}`;
  const { store } = openStore({ url, schema, applicationName: 'aos:async', file: ':memory:' });
  opened.push(store);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  admins.push(admin);
  return { store, schema, admin };
}

const ev = (pid: number, type: string): KernelEvent =>
  ({ ts: '2026-11-25T10:00:00.000Z', pid, type }) as unknown as KernelEvent;

/** The store's session is waiting on a lock (its commit is in flight on the server). */
async function storeWaitsOnLock(admin: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'aos:async' AND wait_event_type = 'Lock'",
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(PG_SKIP)('the PostgreSQL store commits without blocking the kernel', () => {
  it('goes on with timers and other clients while a commit waits on the database, then commits', async () => {
    const { store, schema, admin } = await pgStore();
    store.transcripts.put(1, 0, 'user', 'first');
    await store.committed();
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${schema}".transcript IN ACCESS EXCLUSIVE MODE`);
    store.transcripts.put(1, 1, 'model', 'the reply');
    let durable = false;
    const committed = store.committed().then(() => (durable = true));
    // On the old bridge the kernel's thread sat in Atomics.wait here: this client's queries could not
    // even be read off its socket, and no timer fired until the lock went.
    await storeWaitsOnLock(admin);
    let ticks = 0;
    await new Promise<void>((resolve) => setTimeout(() => resolve(void ticks++), 5));
    await new Promise<void>((resolve) => setImmediate(() => resolve(void ticks++)));
    expect({ ticks, durable, healthy: store.healthy }).toEqual({ ticks: 2, durable: false, healthy: true });
    await admin.query('ROLLBACK');
    await committed;
    expect(await store.transcripts.row(1, 1)).toBe('the reply');
  }, 20_000);

  it('queues the writes made while a commit is in flight for the next one, in order, and resolves each waiter with its own', async () => {
    const { store, schema, admin } = await pgStore();
    const batches: number[][] = [];
    store.onCommitted((events: readonly StoredEvent[]) => batches.push(events.map((e) => e.event.pid)));
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${schema}".meta IN ACCESS EXCLUSIVE MODE`);
    store.setMeta('k', 'first');
    store.events.add(ev(1, 'spawn'));
    let firstDone = false;
    const first = store.committed().then(() => (firstDone = true));
    await storeWaitsOnLock(admin);
    // Queued while the first commit is in flight: they wait for a commit of their own.
    store.setMeta('k', 'second');
    store.events.add(ev(2, 'spawn'));
    let secondDone = false;
    const second = store.committed().then(() => (secondDone = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One session of the store is at work (its first commit, waiting on the lock): the second batch was not sent beside it.
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'aos:async' AND state <> 'idle'",
    );
    expect({ sessions: rows[0].n, firstDone, secondDone, batches }).toEqual({
      sessions: 1,
      firstDone: false,
      secondDone: false,
      batches: [],
    });
    await admin.query('ROLLBACK');
    await first;
    await second;
    expect(batches).toEqual([[1], [2]]);
    expect(await store.meta('k')).toBe('second');
  }, 20_000);

  it('keeps the writes of a commit the database refused, says the store is unhealthy, and commits them before later ones', async () => {
    param.pgStoreTimeoutMs = 600;
    const { store, schema, admin } = await pgStore();
    const health: boolean[] = [];
    store.hooks = { ...store.hooks, onHealth: (ok) => health.push(ok) };
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${schema}".meta IN ACCESS EXCLUSIVE MODE`);
    store.setMeta('k', 'first');
    store.events.add(ev(1, 'spawn'));
    const committed = store.committed();
    // The lock outlasts the store's timeout: the commit fails for the database's reason (retryable), its writes kept.
    const unhealthy = new Promise<void>((resolve) => {
      const poll = (): void => void (store.healthy ? setTimeout(poll, 20) : resolve());
      poll();
    });
    await unhealthy;
    expect(store.lastError?.message).toMatch(/timeout|did not answer|canceling/i);
    // Queued while failing: after the kept writes, in the same order as they were made.
    store.setMeta('k', 'second');
    store.events.add(ev(2, 'spawn'));
    await admin.query('ROLLBACK');
    await committed;
    await store.committed();
    expect(store.healthy).toBe(true);
    expect(health).toEqual([false, true]);
    expect(await store.meta('k')).toBe('second');
    expect((await store.events.of([1, 2])).map((e) => e.pid)).toEqual([1, 2]);
  }, 20_000);
});
