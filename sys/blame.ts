/**
 * Which process the kernel is working for right now, carried through every callback and promise
 * of its turn (AsyncLocalStorage). When something escapes all the way to the daemon's
 * uncaughtException handler, this names the process that brought it, so a crash is charged to
 * that process alone (recovery.ts) instead of to everything that happened to be in flight.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<number | undefined>();

export function runAs<T>(pid: number, fn: () => T): T {
  return current.run(pid, fn);
}

/** The pid whose work is on the stack, or null for the kernel's own. */
export function currentPid(): number | null {
  return current.getStore() ?? null;
}

/**
 * Run kernel-wide work (a commit, a sweep) outside of whichever process scheduled it. As run() with
 * no process rather than exit(): on node 20 exit() disables the storage and enables it again, which
 * turns node's promise hooks off and on — on every commit request and turn-gate mark.
 */
export function runAsKernel<T>(fn: () => T): T {
  return current.run(undefined, fn);
}
