/**
 * What the store cannot keep is charged to the process it belongs to, never lost silently and
 * never fatal to the kernel: an event that cannot be serialised, a row that cannot be written.
 */
import { endForKernelError } from '../proc/kill.js';
import type { ProcCore } from '../proc/api.js';
import type { KernelEvent } from '../wire/events.js';

/** Every event goes to the store; one that cannot be serialised ends its process instead of vanishing. */
export function recordEvent(k: ProcCore, event: KernelEvent): void {
  if (k.store.addEvent(event)) return;
  const proc = k.table.get(event.pid);
  const message = `kernel error: a ${event.type} event of process ${event.pid} could not be stored`;
  k.store.addEvent({ ts: event.ts, pid: event.pid, type: 'error', message });
  if (proc) endForKernelError(k, proc, new Error(message));
}

export function recordWriteError(k: ProcCore, pid: number, error: Error): void {
  const proc = k.table.get(pid);
  k.log('error', `process ${pid}: its state could not be stored: ${error.message}`);
  if (!proc) return;
  proc.recordBroken = true;
  k.persist(proc);
  endForKernelError(k, proc, new Error(`its state could not be stored: ${error.message}`));
}

/** Route the store's faults and every event to the above, and its health to the disk guard. */
export function watchStore(k: ProcCore): void {
  k.events.subscribe((event) => recordEvent(k, event));
  k.store.hooks = {
    onWriteError: (pid, error) => recordWriteError(k, pid, error),
    onHealth: (healthy) => k.disk.onHealth(healthy),
    log: (level, message) => k.log(level, message),
  };
}
