/**
 * What the tests of the PostgreSQL store's awaited reads share (pg-read-async.test.ts,
 * pg-table-reads-async.test.ts): a store on a fresh database with an admin client beside it, a wait
 * until the store's session is blocked on a lock that client holds, and a check that the kernel's
 * thread goes on meanwhile (a timer fires, setImmediate runs, another client is answered).
 */
import { afterEach } from 'vitest';
import pg from 'pg';
import type { KernelStore } from '../../../kernel/store/api.js';
import { openStore } from '../../../kernel/store/open.js';
import { postgresPerFile } from '../cluster/pg-fixture.js';

export interface LockedStore {
  store: KernelStore;
  schema: string;
  admin: pg.Client;
}

/** Stores on one throwaway server for this file, each on its own database and schema, closed after each test. */
export function pgStoresPerFile(applicationName: string): () => Promise<LockedStore> {
  const pgServer = postgresPerFile();
  let opened: KernelStore[] = [];
  let admins: pg.Client[] = [];
  let schemas = 0;
  afterEach(async () => {
    for (const a of admins) await a.end().catch(() => undefined);
    admins = [];
    for (const s of opened) s.close();
    opened = [];
  });
  return async () => {
    const url = await pgServer.server.createDatabase();
    const schema = `aos_node_r${++schemas}`;
    const { store } = openStore({ url, schema, applicationName, file: ':memory:' });
    opened.push(store);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    admins.push(admin);
    return { store, schema, admin };
  };
}

/** The store's session (by its application name) is waiting on a lock: a read or commit of it is in flight on the server. */
export async function storeWaitsOnLock(admin: pg.Client, applicationName: string): Promise<void> {
  for (;;) {
    const { rows } = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
      [applicationName],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Timers and setImmediate run, and another client is answered, while the store waits: 3 when all three happened. */
export async function loopGoesOn(admin: pg.Client): Promise<number> {
  let ticks = 0;
  await new Promise<void>((resolve) => setTimeout(() => resolve(void ticks++), 5));
  await new Promise<void>((resolve) => setImmediate(() => resolve(void ticks++)));
  const { rows } = await admin.query('SELECT 1 AS one');
  return ticks + (rows[0] as { one: number }).one;
}

/** Hold an exclusive lock on these tables of `schema` from the admin's session until `release` (ROLLBACK). */
export async function lockTables(
  admin: pg.Client,
  schema: string,
  tables: readonly string[],
): Promise<() => Promise<void>> {
  await admin.query('BEGIN');
  for (const t of tables) await admin.query(`LOCK TABLE "${schema}".${t} IN ACCESS EXCLUSIVE MODE`);
  return async () => void (await admin.query('ROLLBACK'));
}
