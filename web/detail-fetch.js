// @ts-check
// What a process's page is drawn from: its first page of history and what it was given. The history
// of the process the address names is asked for at boot, beside the page's own first requests.
import { get } from './api.js';

/** @type {{ pid: number, events: ReturnType<typeof history> } | null} what prefetchDetail started, until fetchDetail takes it */
let prefetched = null;

/** @param {number} pid */
function history(pid) {
  return get('/api/events', { pid });
}

/**
 * Start loading a process's history before the page knows the process (at boot, from the address).
 * Only the history: a process that does not exist has none (what it was given would be a 404).
 * @param {number} pid
 */
export function prefetchDetail(pid) {
  prefetched = { pid, events: history(pid) };
  prefetched.events.catch(() => undefined);
}

/** Drop what prefetchDetail loaded when nothing took it: a process named before it exists is asked afresh once it does. */
export function forgetPrefetch() {
  prefetched = null;
}

/**
 * A process's first page of history (the prefetched one, once) and what it was given (null: not known).
 * @param {number} pid
 */
export function fetchDetail(pid) {
  const early = prefetched?.pid === pid ? prefetched.events : null;
  prefetched = null;
  return Promise.all([early ?? history(pid), get('/api/proc', { pid }).catch(() => null)]);
}
