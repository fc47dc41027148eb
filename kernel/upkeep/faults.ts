/**
 * What the store cannot keep is charged to the process it belongs to, never lost silently and
 * never fatal to the kernel: an event that cannot be serialised, a row that cannot be written.
 */
import { endForKernelError } from '../proc/kill.js';
import type { ProcCore } from '../proc/api.js';
import type { KernelEvent } from '../../protocol/events.js';
import { persist } from '../proc/proc-runtime.js';

/** An event the store could not serialise (it stored an error event instead) ends its process rather than vanishing. */
export function recordUnstorableEvent(k: ProcCore, event: KernelEvent, message: string): void {
  const proc = k.table.get(event.pid);
  if (proc) endForKernelError(k, proc, new Error(message));
}

export function recordWriteError(k: ProcCore, pid: number, error: Error): void {
  const proc = k.table.get(pid);
  k.log('error', `process ${pid}: its state could not be stored: ${error.message}`);
  if (!proc) return;
  proc.markRecordBroken();
  persist(k.store, proc);
  endForKernelError(k, proc, new Error(`its state could not be stored: ${error.message}`));
}

/** Route the store's faults and every event to the above, and its health to the disk guard. */
export function watchStore(k: ProcCore): void {
  // The log's own function, no closure of this file between: every event of every turn passes here.
  k.events.subscribe(k.store.events.add);
  k.store.hooks = {
    onWriteError: (pid, error) => recordWriteError(k, pid, error),
    onUnstorableEvent: (event, message) => recordUnstorableEvent(k, event, message),
    onHealth: (healthy) => k.disk.onHealth(healthy),
    log: (level, message) => k.log(level, message),
  };
}
