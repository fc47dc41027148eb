/**
 * Context threads (issue 33): named containers of append-only entries — `client:acme`,
 * `invoice:2026-117` — that outlive the processes writing them, with a rolling summary kept current
 * (kernel/loop/thread-summary.ts). The kernel holds every thread's row (so entries are numbered
 * without a read); entries live in the store. Who may touch a thread is a capability
 * (`thread:<key-glob>`), checked by the caller (syscalls, attach); this class keeps the rows.
 *
 * What a thread holds was written by agents and people: it reaches a model only as data — JSON
 * lines naming who wrote each entry — never as lines a model could take for the kernel's. What a
 * reader gets back (info, view, pages) is shaped in thread-pages.ts; what is dropped, in
 * thread-retention.ts.
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
  type ThreadLinkHow,
  type ThreadRecord,
} from '../store/api.js';
import {
  entryView,
  firstWithin,
  newestWithin,
  type ReadRequest,
  threadInfo,
  type ThreadInfo,
  type ThreadView,
} from './thread-pages.js';
import { retainEntries } from './thread-retention.js';

export { ftsMatch };

export const THREAD_ENTRY_KINDS = ['note', 'message', 'decision', 'result'] as const;

export type { ThreadEntry };

export interface AppendRequest {
  text: string;
  kind?: ThreadEntryKind;
  pid: number;
  unit: string | null;
}

type ThreadsHost = { readonly store: KernelStore; readonly events: EventBus };

export class Threads {
  private readonly rows = new Map<string, ThreadRecord>();
  /** Which threads each live process attached, opened or wrote to, and how (the summary upkeep's list; the links are stored too). */
  private readonly used = new Map<number, Map<string, Set<ThreadLinkHow>>>();
  /** The live processes that used a thread, by pid: the thread-context interceptor's line reads it every turn (kernel/loop/model-chain.ts). */
  readonly users: ReadonlyMap<number, unknown> = this.used;
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
    return threadInfo(this.need(key));
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
      summary_outside: 0,
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
    retainEntries(row, this.host.store.threads);
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
   * of the newest — and the newest entry always (THREAD_OPEN, an attached thread). An entry the
   * summary covers is not shown again whole, but that newest one.
   */
  async open(key: string): Promise<ThreadView> {
    const row = this.need(key);
    await this.host.store.flushed();
    const after = Math.max(0, Math.min(row.last_seq - 1, row.summary_through));
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
    await this.host.store.flushed();
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
    await this.host.store.flushed();
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
  /** The stored links awaited, flushed first (`aos inspect`, `thread show`, HISTORY_SEARCH): a removed thread has none. */
  get linksAwaited(): KernelStore['threads']['awaited'] {
    return this.host.store.threads.awaited;
  }
  /** The summary now covers entries up to `through`, whose text came to `coveredChars`. */
  summarized(
    key: string,
    summary: string,
    through: number,
    coveredChars: number,
    by: { pid: number; model?: string; tokens?: number; outside?: boolean },
  ): void {
    const row = this.rows.get(key);
    if (!row || through <= row.summary_through) return;
    // A rolling summary holds what it folded in for good: outside once, outside from then on.
    if (by.outside) row.summary_outside = 1;
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
