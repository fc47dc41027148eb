/**
 * What a reader of a context thread gets back (threads.ts keeps the rows): a thread's info, its
 * view (the summary and the entries after it), and pages of entries cut to a budget of characters.
 * Its own file: these are the shapes that leave the kernel — to a model as data, to `aos thread` —
 * and the cutting that keeps a page stored whole as a result.
 */
import type { ThreadEntry } from '../../syscalls/services.js';
import type { ThreadEntryRecord, ThreadRecord } from '../store/api.js';

export interface ThreadInfo {
  key: string;
  /** Entries appended over its life; the oldest still kept and the newest. */
  entries: number;
  first_seq: number;
  last_seq: number;
  created_at: string;
  created_by: number;
  last_at: string | null;
  /** The summary covers entries up to this seq (0: none yet). */
  summary_through: number;
  summary_at: string | null;
  summary_chars: number;
}

export interface ThreadView {
  key: string;
  entries: number;
  summary: string;
  summary_through: number;
  /** Every entry after the summary (the newest threadViewMaxEntries of them), and the newest entry always. */
  recent: ThreadEntry[];
  last_seq: number;
}

export interface ReadRequest {
  /** Entries after this seq (a number), or written at or after this time (ms). */
  afterSeq?: number;
  sinceTs?: number;
  query?: string;
  limit?: number;
}

const iso = (ms: number | null): string | null => (ms === null || ms === 0 ? null : new Date(ms).toISOString());

export function entryView(r: ThreadEntryRecord): ThreadEntry {
  return { seq: r.seq, ts: new Date(r.ts).toISOString(), pid: r.pid, unit: r.unit, kind: r.kind, text: r.text };
}

/** The first of these whose text fits `chars`, and at least the first. */
export function firstWithin(rows: readonly ThreadEntryRecord[], chars: number): ThreadEntryRecord[] {
  let used = 0;
  let to = 0;
  while (to < rows.length && (to === 0 || used + (rows[to]?.text.length ?? 0) <= chars))
    used += rows[to++]?.text.length ?? 0;
  return rows.slice(0, to);
}

/** The newest of these (oldest first) whose text fits `chars`, and at least the newest one. */
export function newestWithin(rows: readonly ThreadEntryRecord[], chars: number): ThreadEntryRecord[] {
  let used = 0;
  let from = rows.length;
  while (from > 0 && (from === rows.length || used + (rows[from - 1]?.text.length ?? 0) <= chars))
    used += rows[--from]?.text.length ?? 0;
  return rows.slice(from);
}

/** A thread's row as `aos thread` and THREAD_LIST show it. */
export function threadInfo(r: ThreadRecord): ThreadInfo {
  return {
    key: r.key,
    entries: r.entries,
    first_seq: Math.min(r.dropped_through + 1, r.last_seq),
    last_seq: r.last_seq,
    created_at: new Date(r.created_at).toISOString(),
    created_by: r.created_by,
    last_at: iso(r.last_at),
    summary_through: r.summary_through,
    summary_at: iso(r.summary_at),
    summary_chars: r.summary.length,
  };
}
