/**
 * A context thread's retention (threads.ts appends, this trims): how many entries a thread keeps,
 * which go first, and what its summary says of those dropped before it covered them. Its own file:
 * it is the one place a thread loses entries, and the rule weighs the summary against the count.
 */
import { param } from '../../sys/param.js';
import type { ThreadRecord, ThreadRows } from '../store/api.js';

/**
 * Retention: past threadMaxEntries the oldest entries go — those the summary covers first; when
 * it covers too few (nobody keeps it up, or appends outrun it), unsummarised ones too, and the
 * summary says which were dropped unread.
 */
export function retainEntries(row: ThreadRecord, rows: Pick<ThreadRows, 'trim'>): void {
  const over = row.last_seq - row.dropped_through - param.threadMaxEntries;
  if (over <= 0) return;
  const through = row.dropped_through + over;
  if (through > row.summary_through) {
    const unread = through - Math.max(row.summary_through, row.dropped_through);
    const pendingEntries = Math.max(1, row.last_seq - row.summary_through);
    // What was pending of the dropped ones leaves the count (their share of it: their texts are gone unread).
    row.pending_chars = Math.round(row.pending_chars * (1 - Math.min(1, unread / pendingEntries)));
    const note = `(entries ${through - unread + 1}-${through} were dropped by retention before a summary covered them)`;
    row.summary = `${row.summary}${row.summary ? '\n' : ''}${note}`.slice(-param.threadSummaryChars);
    row.summary_through = through;
  }
  row.dropped_through = through;
  rows.trim(row.key, through);
}
