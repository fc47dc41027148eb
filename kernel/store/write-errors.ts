/** What the store makes of a write that fails, and of an event it cannot serialise. */
import type { KernelEvent } from '../wire/events.js';
import type { StoredEvent } from './store-reads.js';

/** Errors of the disk or the file, not of the data: wait and retry rather than blame a process. */
export function isDiskError(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PROTOCOL)/.test(code) || /^(ENOSPC|EDQUOT|EROFS|EIO)$/.test(code);
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** JSON of an event, or null when it cannot be serialised (a cycle, absurd nesting, a BigInt). */
function eventJson(event: KernelEvent): string | null {
  try {
    return JSON.stringify(event);
  } catch {
    return null;
  }
}

export function unstorableMessage(event: KernelEvent): string {
  return `kernel error: a ${event.type} event of process ${event.pid} could not be stored`;
}

/**
 * Give each queued event its JSON (once: a batch the disk refused keeps it for the retry). One that
 * cannot be serialised is replaced by an error event saying so, and returned.
 */
export function serialise(events: StoredEvent[]): KernelEvent[] {
  const failed: KernelEvent[] = [];
  for (const stored of events) {
    if (stored.json !== '') continue;
    const json = eventJson(stored.event);
    if (json !== null) {
      stored.json = json;
      continue;
    }
    failed.push(stored.event);
    stored.event = { ts: stored.event.ts, pid: stored.event.pid, type: 'error', message: unstorableMessage(stored.event) };
    stored.json = JSON.stringify(stored.event);
  }
  return failed;
}
