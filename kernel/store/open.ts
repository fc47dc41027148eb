/**
 * The one door into the store's implementation, for the composition root (kernel.ts): SQLite in a
 * file (store.ts, ps-all.ts), or PostgreSQL (pg/open.ts) when the kernel is a node of a cluster.
 * Everything else sees the store through api.ts.
 */
import type { OpenedStore, PostgresStoreOptions } from './api.js';
import { PsAll } from './ps-all.js';
import { Store } from './store.js';
import { openPostgresStore } from './pg/open.js';
import { RawJson } from '../../protocol/raw-json.js';

export function openStore(where: string | PostgresStoreOptions): OpenedStore {
  if (typeof where === 'string') {
    const store = Store.open(where);
    return { store, allProcesses: (source) => new PsAll({ store, ...source }) };
  }
  const store = openPostgresStore(where);
  // Listed from the kernel (the listing thread reads a SQLite file): the rows awaited from the connection's thread.
  return {
    store,
    allProcesses: (source) => ({
      threaded: false,
      json: async () => new RawJson(Buffer.from(JSON.stringify(await source.inline()))),
      close: async () => undefined,
    }),
  };
}
