/**
 * Context threads (issue 33): named containers of append-only entries — `client:acme`,
 * `invoice:2026-117` — that outlive the processes writing them, with a rolling summary kept current
 * (kernel/loop/thread-summary.ts). The kernel holds every thread's row (so entries are numbered
 * without a read); entries live in the store. Who may touch a thread is a capability
 * (`thread:<key-glob>`), checked by the caller (syscalls, attach); this class keeps the rows.
 *
 * What a thread holds was written by agents and people: it reaches a model only as data — JSON
 * lines naming who wrote each entry — never as lines a model could take for the kernel's.
 */
import type { EventBus } from '../../protocol/events.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { checkThreadKey, checkThreadPrefix } from '../../sys/thread-key.js';
import type { ThreadEntry } from '../../syscalls/services.js';
import {
  ftsMatch,
  type KernelStore,
  type ThreadEntryKind,
  type ThreadEntryRecord,
  type ThreadLinkHow,
  type ThreadRecord,
} from '../store/api.js';

export { ftsMatch };

export const THREAD_ENTRY_KINDS = ['note', 'message', 'decision', 'result'] as const;

export type { ThreadEntry };

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
  /** Every entry after the summary (the newest threadViewMaxEntries of them), and at least the newest threadRecentEntries. */
  recent: ThreadEntry[];
  last_seq: number;
}

export interface AppendRequest {
  text: string;
  kind?: ThreadEntryKind;
  pid: number;
  unit: string | null;
}

export interface ReadRequest {
  /** Entries after this seq (a number), or written at or after this time (ms). */
  afterSeq?: number;
  sinceTs?: number;
  query?: string;
  limit?: number;
}

type ThreadsHost = { readonly store: KernelStore; readonly events: EventBus };

const iso = (ms: number | null): string | null => (ms === null || ms === 0 ? null : new Date(ms).toISOString());

export function entryView(r: ThreadEntryRecord): ThreadEntry {
  return { seq: r.seq, ts: new Date(r.ts).toISOString(), pid: r.pid, unit: r.unit, kind: r.kind, text: r.text };
}

/** The first of these whose text fits `chars`, and at least the first. */
function firstWithin(rows: readonly ThreadEntryRecord[], chars: number): ThreadEntryRecord[] {
  let used = 0;
  let to = 0;
  while (to < rows.length && (to === 0 || used + (rows[to]?.text.length ?? 0) <= chars))
    used += rows[to++]?.text.length ?? 0;
  return rows.slice(0, to);
}

/** The newest of these (oldest first) whose text fits `chars`, and at least the newest one. */
function newestWithin(rows: readonly ThreadEntryRecord[], chars: number): ThreadEntryRecord[] {
  let used = 0;
  let from = rows.length;
  while (from > 0 && (from === rows.length || used + (rows[from - 1]?.text.length ?? 0) <= chars))
    used += rows[--from]?.text.length ?? 0;
  return rows.slice(from);
}

export class Threads {
  private readonly rows = new Map<string, ThreadRecord>();
  /** Which threads each live process attached, opened or wrote to, and how (the summary upkeep's list; the links are stored too). */
  private readonly used = new Map<number, Map<string, Set<ThreadLinkHow>>>();
  /** Threads whose summary a process is bringing up to date now (one at a time each). */
  private readonly summarizing = new Set<string>();

  constructor(private readonly host: ThreadsHost) {}

  async load(): Promise<void> {
    for (const row of await this.host.store.threads.all()) this.rows.set(row.key, row);
  }

  get(key: string): ThreadRecord | undefined {
    return this.rows.get(key);
  }

  info(key: string): ThreadInfo {
    const r = this.need(key);
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

  /** Threads whose key starts with `prefix` that `allows` lets the caller see, by key. */
  list(prefix: string, allows: (key: string) => boolean = () => true): ThreadInfo[] {
    checkThreadPrefix(prefix);
    const keys = [...this.rows.keys()].filter((k) => k.startsWith(prefix) && allows(k)).sort();
    return keys.slice(0, param.threadListMax).map((k) => this.info(k));
  }

  create(key: string, pid: number): boolean {
    checkThreadKey(key);
    if (this.rows.has(key)) return false;
    const now = Date.now();
    this.rows.set(key, {
      key,
      created_at: now,
      created_by: pid,
      entries: 0,
      last_seq: 0,
      last_at: 0,
      summary: '',
      summary_through: 0,
      summary_at: null,
      pending_chars: 0,
      dropped_through: 0,
    });
    this.save(key);
    this.host.events.emit({ type: 'thread', pid, key, action: 'created' });
    return true;
  }

  append(key: string, request: AppendRequest): { seq: number; created: boolean } {
    const text = request.text;
    if (text.length === 0) throw new AosError('EINVAL', 'a thread entry needs text');
    if (text.length > param.threadEntryMaxChars)
      throw new AosError(
        'EFBIG',
        `a thread entry is at most ${param.threadEntryMaxChars} characters (got ${text.length})`,
      );
    const kind = request.kind ?? 'note';
    if (!THREAD_ENTRY_KINDS.includes(kind))
      throw new AosError('EINVAL', `kind must be one of ${THREAD_ENTRY_KINDS.join(', ')}`);
    const created = this.create(key, request.pid);
    const row = this.need(key);
    const now = Date.now();
    row.entries++;
    row.last_seq++;
    row.last_at = now;
    row.pending_chars += text.length;
    const entry = { key, seq: row.last_seq, ts: now, pid: request.pid, unit: request.unit, kind, text };
    this.host.store.threads.append(entry);
    this.retain(row);
    this.save(key);
    if (request.pid) this.link(key, request.pid, 'wrote');
    this.host.events.emit({
      type: 'thread',
      pid: request.pid,
      key,
      action: 'appended',
      seq: entry.seq,
      kind,
      ...(request.unit ? { unit: request.unit } : {}),
      text: text.slice(0, 200),
    });
    return { seq: entry.seq, created };
  }

  /**
   * The summary and what it does not cover yet — every entry after it, up to threadViewMaxEntries
   * of the newest — and at least the newest threadRecentEntries (THREAD_OPEN, an attached thread).
   */
  async open(key: string): Promise<ThreadView> {
    const row = this.need(key);
    this.host.store.flush();
    const after = Math.max(0, Math.min(row.last_seq - param.threadRecentEntries, row.summary_through));
    const entries = await this.host.store.threads.entries(key, { limit: param.threadViewMaxEntries });
    const recent = newestWithin(
      entries.filter((e) => e.seq > after),
      param.threadViewMaxChars,
    );
    return {
      key,
      entries: row.entries,
      summary: row.summary,
      summary_through: row.summary_through,
      recent: recent.map(entryView),
      last_seq: row.last_seq,
    };
  }

  async read(key: string, request: ReadRequest): Promise<{ key: string; entries: ThreadEntry[]; last_seq: number }> {
    const row = this.need(key);
    const limit = Math.min(request.limit ?? param.threadReadDefault, param.threadReadMax);
    const match = request.query === undefined ? undefined : (ftsMatch(request.query) ?? undefined);
    this.host.store.flush();
    const rows = await this.host.store.threads.entries(key, {
      afterSeq: request.afterSeq,
      sinceTs: request.sinceTs,
      match,
      limit,
    });
    // A page is stored whole as its result: at most threadReadMaxChars of text, from where it starts
    // (the oldest after `since`, the newest match), or the newest of the last ones; reading on pages the rest.
    const fromStart = request.afterSeq !== undefined || match !== undefined;
    const page = fromStart ? firstWithin(rows, param.threadReadMaxChars) : newestWithin(rows, param.threadReadMaxChars);
    return { key, entries: page.map(entryView), last_seq: row.last_seq };
  }

  /** Entries of these threads holding every word of `query`, newest first (HISTORY_SEARCH). */
  async search(
    keys: readonly string[],
    query: string,
    options: { sinceTs: number; limit: number },
  ): Promise<Array<ThreadEntry & { key: string }>> {
    const match = ftsMatch(query);
    if (match === null) return [];
    this.host.store.flush();
    const rows = await this.host.store.threads.search(
      keys.filter((k) => this.rows.has(k)),
      match,
      options,
    );
    return rows.map((r) => ({ key: r.key, ...entryView(r) }));
  }

  remove(key: string, pid: number): ThreadInfo {
    const info = this.info(key);
    this.rows.delete(key);
    for (const keys of this.used.values()) keys.delete(key);
    this.host.store.threads.remove(key);
    this.host.events.emit({ type: 'thread', pid, key, action: 'removed' });
    return info;
  }

  /** Remember that a process used a thread: `aos inspect` lists it, HISTORY_SEARCH searches it, its summary is kept up by that process. */
  link(key: string, pid: number, how: ThreadLinkHow): void {
    let keys = this.used.get(pid);
    if (!keys) this.used.set(pid, (keys = new Map()));
    let hows = keys.get(key);
    if (!hows) keys.set(key, (hows = new Set()));
    if (hows.has(how)) return;
    hows.add(how);
    this.host.store.threads.link(key, pid, how);
  }

  /** Whether a live process used any thread. */
  uses(pid: number): boolean {
    return this.used.has(pid);
  }

  /** The threads a live process used (attached, opened, wrote to). */
  touchedBy(pid: number): readonly string[] {
    return [...(this.used.get(pid)?.keys() ?? [])].filter((k) => this.rows.has(k));
  }

  /** A process ended: its summary upkeep ends with it (its links stay in the store). */
  forget(pid: number): void {
    this.used.delete(pid);
  }

  /** Threads these processes used, stored (`aos inspect`; a tree's threads). */
  linksOf(pids: readonly number[]): Array<{ key: string; pid: number; how: ThreadLinkHow }> {
    this.host.store.flush();
    return this.host.store.threads.links(pids).filter((l) => this.rows.has(l.key));
  }

  /** The processes that used a thread (`aos thread show`). */
  linksOfKey(key: string): Array<{ pid: number; how: ThreadLinkHow }> {
    this.need(key);
    this.host.store.flush();
    return this.host.store.threads.byKey(key);
  }

  /** The summary now covers entries up to `through`, whose text came to `coveredChars`. */
  summarized(
    key: string,
    summary: string,
    through: number,
    coveredChars: number,
    by: { pid: number; model?: string; tokens?: number },
  ): void {
    const row = this.rows.get(key);
    if (!row || through <= row.summary_through) return;
    row.summary = summary;
    row.summary_through = through;
    row.summary_at = Date.now();
    row.pending_chars = Math.max(0, row.pending_chars - coveredChars);
    this.save(key);
    this.host.events.emit({
      type: 'thread',
      pid: by.pid,
      key,
      action: 'summarized',
      through,
      ...(by.model ? { model: by.model } : {}),
      ...(by.tokens ? { tokens: by.tokens } : {}),
    });
  }

  /**
   * Retention: past threadMaxEntries the oldest entries go — those the summary covers first; when
   * it covers too few (nobody keeps it up, or appends outrun it), unsummarised ones too, and the
   * summary says which were dropped unread.
   */
  private retain(row: ThreadRecord): void {
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
    this.host.store.threads.trim(row.key, through);
  }

  claim(key: string): boolean {
    if (this.summarizing.has(key)) return false;
    this.summarizing.add(key);
    return true;
  }

  release(key: string): void {
    this.summarizing.delete(key);
  }

  private save(key: string): void {
    // Built at the commit: many appends in a tick write the row once, as it is by then.
    this.host.store.threads.put(() => {
      const row = this.rows.get(key);
      return row ? { ...row } : null;
    });
  }

  private need(key: string): ThreadRecord {
    const row = this.rows.get(checkThreadKey(key));
    if (!row) throw new AosError('ENOENT', `no thread "${key}"`);
    return row;
  }
}
