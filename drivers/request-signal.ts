/**
 * The operation a request is made for, where the request's client takes no signal of ours: the
 * chromadb client makes its own fetches, so a memory operation that timed out or whose process was
 * killed left its request open (a server dripping an answer kept its socket until it stopped), and
 * it reports a request that failed before its answer as "Failed to connect", the reason dropped.
 * An operation runs its work `underSignal`; a dispatcher of ours (capped-dispatcher.ts) reads
 * `requestScope()` when a request is dispatched, ends the request when the signal aborts and keeps
 * why the request failed (`failure`) for the operation's error. The scope follows the operation's own
 * promises (AsyncLocalStorage), so operations at once each end their own requests.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestScope {
  readonly signal: AbortSignal;
  /** Why the last request made under it failed, as the transport said. */
  failure?: Error;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** Runs `work` with `signal` as the signal of every request made under it. */
export function underSignal<T>(signal: AbortSignal, work: () => T): T {
  return scope.run({ signal }, work);
}

/** The operation the caller runs under, if one. */
export function requestScope(): RequestScope | undefined {
  return scope.getStore();
}
