/**
 * The kernel's suites that matter most for durability (recovery, faults) run on both stores:
 * SQLite in a file, and PostgreSQL (a throwaway server per test file, a new database per test).
 * `storeKinds()` registers the server's start and stop; each kind says how a kernel opens its
 * store and how a test opens that store itself, between two kernels.
 */
import { afterAll, beforeAll } from 'vitest';
import type { KernelOptions } from '../../kernel/kernel.js';
import type { KernelStore } from '../../kernel/store/api.js';
import { openStore } from '../../kernel/store/open.js';
import { pgSkipReason, startPostgres, type ThrowawayPg } from './postgres.js';

export interface StoreKind {
  name: 'sqlite' | 'postgres';
  /** A new, empty store for the next test (SQLite: a file in `dir`; PostgreSQL: a new database). */
  fresh(dir: string): Promise<StoreAt>;
  /** The environment a daemon keeps its state in a new store with (PostgreSQL: a node of a new database's cluster). */
  daemonEnv(): Promise<NodeJS.ProcessEnv>;
}

export interface StoreAt {
  /** What Kernel.create takes to use this store. */
  readonly options: Pick<KernelOptions, 'storeFile' | 'postgres'>;
  /** The store opened by the test itself (no kernel on it). */
  open(): KernelStore;
}

const SKIP = pgSkipReason();

/** The kinds to run a suite on; PostgreSQL only where a server can be started here (else said once). */
export function storeKinds(): StoreKind[] {
  const sqlite: StoreKind = {
    name: 'sqlite',
    async fresh(dir) {
      const file = `${dir}/aos.db`;
      return { options: { storeFile: file }, open: () => openStore(file).store };
    },
    daemonEnv: async () => ({}),
  };
  if (SKIP) {
    console.warn(`PostgreSQL store runs skipped: ${SKIP}`);
    return [sqlite];
  }
  let server: ThrowawayPg | null = null;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  const postgres: StoreKind = {
    name: 'postgres',
    async fresh(dir) {
      if (!server) throw new Error('the PostgreSQL server starts in beforeAll');
      const url = await server.createDatabase();
      const at = { url, schema: 'aos/test', applicationName: 'aos:test' };
      return {
        options: { storeFile: `${dir}/aos.db`, postgres: at },
        open: () => openStore({ ...at, file: `${dir}/aos.db` }).store,
      };
    },
    async daemonEnv() {
      if (!server) throw new Error('the PostgreSQL server starts in beforeAll');
      return { AOS_DATABASE_URL: await server.createDatabase(), AOS_NODE: 'n1' };
    },
  };
  return [sqlite, postgres];
}
