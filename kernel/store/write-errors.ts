/** What the store makes of a write that fails, and of an event it cannot serialise. */
import type { KernelEvent } from '../../protocol/events.js';
import type { StoredEvent } from './records.js';

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

/**
 * A prompt or a model reply is a transcript row already: its event is stored without the text and
 * names the row (text_seq; the events_read view puts the text back). Clients still get it whole.
 */
function withTextRow(stored: StoredEvent): boolean {
  const { event } = stored;
  if ((event.type !== 'prompt' && event.type !== 'model') || event.transcript_seq === undefined) return false;
  const { text, ...rest } = event;
  const json = JSON.stringify(rest);
  stored.row = { json, textSeq: event.transcript_seq };
  stored.json = `${json.slice(0, -1)},"text":${JSON.stringify(text)}}`;
  return true;
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
    if (stored.json !== '' || withTextRow(stored)) continue;
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
