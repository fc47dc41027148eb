/**
 * The one door into the store's implementation, for the composition root (kernel.ts): SQLite
 * today (store.ts, ps-all.ts). Everything else sees the store through api.ts.
 */
import type { OpenedStore } from './api.js';
import { PsAll } from './ps-all.js';
import { Store } from './store.js';

export function openStore(file: string): OpenedStore {
  const store = Store.open(file);
  return { store, allProcesses: (source) => new PsAll({ store, ...source }) };
}
