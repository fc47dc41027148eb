/**
 * The signal of the operation a request is made for, where the request's client takes none: the
 * chromadb client makes its own fetches and passes no signal of ours, so a memory operation that
 * timed out or whose process was killed left its request open (a server dripping an answer kept
 * its socket until it stopped). An operation runs its work `underSignal`; a dispatcher of ours
 * (capped-dispatcher.ts) reads `requestSignal()` when a request is dispatched and ends the request
 * when the signal aborts. The signal follows the operation's own promises (AsyncLocalStorage), so
 * operations at once each end their own requests.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` with `signal` as the signal of every request made under it. */
export function underSignal<T>(signal: AbortSignal, work: () => T): T {
  return scope.run(signal, work);
}

/** The signal of the operation the caller runs under, if one. */
export function requestSignal(): AbortSignal | undefined {
  return scope.getStore();
}
