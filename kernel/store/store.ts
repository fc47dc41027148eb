/**
 * The kernel's state in SQLite (better-sqlite3, WAL). Writes are queued and committed in one
 * transaction per tick (group commit) — never an fsync per event. Whoever acknowledges a change
 * waits for `committed()`, so nothing reported as done can be lost or rolled back.
 *
 * One process's bad data cannot stop the store: a row that cannot be built or written is reported
 * through `onWriteError` (the kernel ends that process) and the rest commits. A disk that refuses
 * commits (full, read-only, I/O errors) keeps every queued write in memory, reports the store
 * unhealthy, and retries until space returns.
 */
import type Database from 'better-sqlite3';
import { runAsKernel } from '../loop/blame.js';
import type { KernelEvent } from '../wire/events.js';
import { param } from '../param.js';
import { PS_COLUMNS, type PsColumns } from './ps-rows.js';
import { Checkpointer } from './checkpoint.js';
import { backupDb, openCheckedDb } from './check.js';
import {
  type MessageRecord,
  type ProcessRecord,
  type ProcessSummary,
  prepareStatements,
  type Statements,
  SUMMARY_COLUMNS,
  type TimerRecord,
  type WebhookRecord,
} from './records.js';
import { migrate } from './migrate.js';

export type { MessageRecord, ProcessRecord, ProcessSummary, TimerRecord, WebhookRecord } from './records.js';

interface Write {
  /** The process the write belongs to (null: the kernel's own). */
  pid: number | null;
  run: () => void;
}

/** An event, its id in the store, and its JSON as stored. */
export interface StoredEvent {
  id: number;
  event: KernelEvent;
  json: string;
}

export interface StoreHooks {
  /** A row of this process could not be serialised or written; the rest was committed. */
  onWriteError(pid: number, error: Error): void;
  /** Commits started failing (healthy: false) or work again (healthy: true). */
  onHealth(healthy: boolean, error: Error | null): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** Errors of the disk or the file, not of the data: wait and retry rather than blame a process. */
function isDiskError(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PROTOCOL)/.test(code) || /^(ENOSPC|EDQUOT|EROFS|EIO)$/.test(code);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** JSON of an event, or null when it cannot be serialised (a cycle, absurd nesting). */
function eventJson(event: KernelEvent): string | null {
  try {
    return JSON.stringify(event);
  } catch {
    return null;
  }
}

export class Store {
  private readonly db: Database.Database;
  private readonly stmt: Statements;
  private queue: Write[] = [];
  /** pid -> row builder; a process dirtied many times in a tick is written once. */
  private dirty = new Map<number, () => ProcessRecord>();
  private queuedEvents: StoredEvent[] = [];
  private waiters: Array<() => void> = [];
  private readonly committedListeners = new Set<(events: readonly StoredEvent[]) => void>();
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private eventSeq: number;
  private closed = false;
  private checkpointer: Checkpointer | null = null;
  hooks: StoreHooks = { onWriteError: () => undefined, onHealth: () => undefined, log: () => undefined };
  /** Set when this open created the store (a new or empty file), with why. */
  readonly createdNote: string | null;

  private constructor(readonly file: string) {
    const opened = openCheckedDb(file);
    this.db = opened.db;
    this.createdNote = opened.note;
    migrate(this.db, file);
    this.stmt = prepareStatements(this.db);
    this.eventSeq = (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as { id: number }).id;
    if (file !== ':memory:') this.checkpointOffThread();
  }

  /** WAL checkpoints on their own thread (store-checkpoint.ts); back in the commits if that thread is gone. */
  private checkpointOffThread(): void {
    this.db.pragma('wal_autocheckpoint = 0');
    this.checkpointer = new Checkpointer(this.file, param.storeCheckpointMs, {
      onError: (message) => this.hooks.log(message ? 'warn' : 'info', message ? `WAL checkpoints fail (the WAL keeps every commit): ${message}` : 'WAL checkpoints work again'),
      onExit: () => {
        this.checkpointer = null;
        if (!this.closed) this.db.pragma('wal_autocheckpoint = 1000');
      },
    });
  }

  static open(file: string): Store {
    return new Store(file);
  }

  /** Commits work (false while the disk refuses them). */
  get healthy(): boolean {
    return this.failure === null;
  }

  /** Why commits fail, while they do. */
  get lastError(): Error | null {
    return this.failure;
  }

  /** Called with each batch of events once it is durable, in order: what may be shown to clients. */
  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  // ---- queued writes ----

  /** The database, for tables kept by modules of their own (audit.ts, approvals-table.ts, journal.ts); they write through `write`. */
  get sql(): Database.Database {
    return this.db;
  }

  /** Queue a write of such a module: it commits with this tick's transaction, in order. */
  write(pid: number | null, run: () => void): void {
    this.enqueue(pid, run);
  }

  private enqueue(pid: number | null, run: () => void): void {
    this.queue.push({ pid, run });
    this.scheduleFlush();
  }

  private get pending(): boolean {
    return this.queue.length > 0 || this.dirty.size > 0 || this.queuedEvents.length > 0;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed || this.failure) return;
    this.flushScheduled = true;
    runAsKernel(() => setImmediate(() => this.flush()));
  }

  /** Resolves once everything queued so far is committed (waits out a full disk). */
  committed(): Promise<void> {
    if (!this.pending || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.scheduleFlush();
    });
  }

  /** Commit everything queued, in one transaction. Returns false when the disk refused it (kept for a retry). */
  flush(): boolean {
    this.flushScheduled = false;
    if (this.closed) return true;
    if (!this.pending) return this.settle([]);
    const queue = this.queue;
    const dirty = this.dirty;
    const events = this.queuedEvents;
    this.queue = [];
    this.dirty = new Map();
    this.queuedEvents = [];
    const broken: Array<[number, Error]> = [];
    try {
      // Process rows first: a queued write may amend or delete a row written in the same tick.
      this.db.transaction(() => {
        for (const [pid, build] of dirty) this.putProcess(pid, build, broken);
        for (const write of queue) write.run();
      })();
    } catch (error) {
      if (isDiskError(error)) {
        this.queue = queue.concat(this.queue);
        for (const [pid, build] of this.dirty) dirty.set(pid, build);
        this.dirty = dirty;
        this.queuedEvents = events.concat(this.queuedEvents);
        this.fail(asError(error));
        return false;
      }
      this.isolate(queue, dirty, broken);
    }
    this.checkpointer?.committed();
    for (const [pid, error] of broken) this.hooks.onWriteError(pid, error);
    return this.settle(events);
  }

  private putProcess(pid: number, build: () => ProcessRecord, broken: Array<[number, Error]>): void {
    let record: ProcessRecord;
    try {
      record = build();
    } catch (error) {
      broken.push([pid, asError(error)]);
      return;
    }
    this.stmt.putProcess.run(record);
  }

  /** A write failed for a reason of its own: commit the rest one by one and name the processes it belonged to. */
  private isolate(queue: Write[], dirty: Map<number, () => ProcessRecord>, broken: Array<[number, Error]>): void {
    const each = (pid: number | null, run: () => void): void => {
      try {
        this.db.transaction(run)();
      } catch (error) {
        if (pid !== null) broken.push([pid, asError(error)]);
        else this.hooks.log('error', `a kernel write failed and was dropped: ${asError(error).message}`);
      }
    };
    for (const [pid, build] of dirty) each(pid, () => this.putProcess(pid, build, broken));
    for (const write of queue) each(write.pid, write.run);
  }

  private settle(events: StoredEvent[]): boolean {
    if (this.failure) {
      const was = this.failure;
      this.failure = null;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.hooks.log('info', `the kernel store commits again (it had failed: ${was.message})`);
      this.hooks.onHealth(true, null);
    }
    if (events.length > 0) for (const listener of this.committedListeners) listener(events);
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
    if (this.pending) this.scheduleFlush();
    return true;
  }

  private fail(error: Error): void {
    const first = this.failure === null;
    this.failure = error;
    if (first) {
      this.hooks.log('error', `the kernel store cannot commit (${error.message}); holding writes and retrying every ${param.storeRetryMs} ms`);
      this.hooks.onHealth(false, error);
    }
    this.retryTimer ??= runAsKernel(() =>
      setTimeout(() => {
        this.retryTimer = null;
        this.flush();
      }, param.storeRetryMs),
    );
  }

  saveProcess(pid: number, build: () => ProcessRecord): void {
    this.dirty.set(pid, build);
    this.scheduleFlush();
  }

  putTranscript(pid: number, seq: number, role: string, text: string): void {
    this.enqueue(pid, () => this.stmt.putTranscript.run(pid, seq, role, text));
  }

  /** Queue an event; returns false when it cannot be serialised (nothing is stored). */
  addEvent(event: KernelEvent): boolean {
    const json = eventJson(event);
    if (json === null) return false;
    const id = ++this.eventSeq;
    this.queuedEvents.push({ id, event, json });
    this.enqueue(event.pid, () => this.stmt.addEvent.run(id, event.pid, json));
    return true;
  }

  addMessage(m: MessageRecord): void {
    this.enqueue(m.to_pid, () => this.stmt.addMessage.run(m.id, m.to_pid, m.channel, m.from_pid, m.content, m.ts));
  }

  deleteMessages(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.enqueue(null, () => {
      for (const id of ids) this.stmt.delMessage.run(id);
    });
  }

  putTimer(t: TimerRecord): void {
    this.enqueue(t.pid, () => this.stmt.putTimer.run(t.pid, t.id, t.fire_at, t.interval_ms, t.prompt));
  }

  deleteTimer(pid: number, id: string): void {
    this.enqueue(pid, () => this.stmt.delTimer.run(pid, id));
  }

  deleteTimers(pid: number): void {
    this.enqueue(pid, () => this.stmt.delTimers.run(pid));
  }

  putWebhook(w: WebhookRecord): void {
    this.enqueue(w.pid, () => this.stmt.putWebhook.run(w.id, w.token, w.pid, w.path, w.created_at));
  }

  setMeta(key: string, value: string | number): void {
    this.enqueue(null, () => this.stmt.setMeta.run(key, String(value)));
  }

  /** The result line of call `seq` of a process's pending turn. */
  putTurnResult(pid: number, seq: number, line: string): void {
    this.enqueue(pid, () => this.stmt.putTurnResult.run(pid, seq, line));
  }

  clearTurnResults(pid: number): void {
    this.enqueue(pid, () => this.stmt.clearTurnResults.run(pid));
  }

  /** A parent's WAIT took this child's exit (kept in its runtime, so a restart does not report it again). */
  markReaped(pid: number): void {
    this.enqueue(pid, () => this.stmt.markReaped.run(pid));
  }

  /** Delete every row of these (ended) processes. */
  removeProcesses(pids: readonly number[]): void {
    if (pids.length === 0) return;
    this.enqueue(null, () => {
      for (const pid of pids) for (const statement of this.stmt.removeProcess) statement.run(pid);
    });
  }

  // ---- reads (they see committed data: callers flush first when it matters) ----

  meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** Processes that had not ended. */
  loadLive(): ProcessRecord[] {
    return this.db.prepare(`SELECT * FROM processes WHERE state NOT IN ('exited', 'killed') ORDER BY pid`).all() as ProcessRecord[];
  }

  /** Ended children of live processes that their parent has not reaped with WAIT yet. */
  unreapedChildren(): Array<{ pid: number; ppid: number }> {
    return this.db
      .prepare(
        `SELECT pid, ppid FROM processes WHERE state IN ('exited', 'killed') AND json_extract(runtime, '$.reapedByParent') IS NOT 1
         AND ppid IN (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')) ORDER BY pid`,
      )
      .all() as Array<{ pid: number; ppid: number }>;
  }

  loadProcess(pid: number): ProcessRecord | undefined {
    return this.db.prepare('SELECT * FROM processes WHERE pid = ?').get(pid) as ProcessRecord | undefined;
  }

  /** A process and all its descendants (the ppid index; one query, not a table scan). */
  subtreePids(pid: number): number[] {
    const rows = this.db
      .prepare('WITH RECURSIVE t(pid) AS (SELECT pid FROM processes WHERE pid = ? UNION SELECT p.pid FROM processes p JOIN t ON p.ppid = t.pid) SELECT pid FROM t ORDER BY pid')
      .all(pid) as Array<{ pid: number }>;
    return rows.map((r) => r.pid);
  }

  /** Stored processes (every one, or the `last` N created), only the columns a `ps` row shows, in pid order. */
  psColumns(last?: number): PsColumns[] {
    if (last === undefined) return this.db.prepare(`SELECT ${PS_COLUMNS} FROM processes ORDER BY pid`).all() as PsColumns[];
    return (this.db.prepare(`SELECT ${PS_COLUMNS} FROM processes ORDER BY pid DESC LIMIT ?`).all(last) as PsColumns[]).reverse();
  }

  /**
   * Ended processes that ended before `ts` (ms) and that nothing live needs: not an ancestor of a
   * live process, not an exit a live parent may still WAIT for. Oldest first.
   */
  prunable(ts: number, limit: number): ProcessSummary[] {
    return this.db
      .prepare(
        `WITH RECURSIVE live(pid) AS (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')),
         ancestors(pid) AS (SELECT p.ppid FROM processes p JOIN live l ON p.pid = l.pid
           UNION SELECT p.ppid FROM processes p JOIN ancestors a ON p.pid = a.pid)
         SELECT ${SUMMARY_COLUMNS} FROM processes WHERE ended_at IS NOT NULL AND ended_at < ?
           AND pid NOT IN (SELECT pid FROM ancestors) AND ppid NOT IN (SELECT pid FROM live)
         ORDER BY ended_at LIMIT ?`,
      )
      .all(ts, limit) as ProcessSummary[];
  }

  /** Stored summaries of these processes. */
  summaries(pids: readonly number[]): ProcessSummary[] {
    if (pids.length === 0) return [];
    const marks = pids.map(() => '?').join(',');
    return this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM processes WHERE pid IN (${marks})`).all(...pids) as ProcessSummary[];
  }

  /** The rows of a transcript from `fromSeq` on, in order (the whole of it by default). */
  loadTranscript(pid: number, fromSeq = 0): Array<{ role: 'user' | 'model'; text: string; seq: number }> {
    return this.db.prepare('SELECT role, text, seq FROM transcript WHERE pid = ? AND seq >= ? ORDER BY seq').all(pid, fromSeq) as Array<{
      role: 'user' | 'model';
      text: string;
      seq: number;
    }>;
  }

  loadTranscriptRow(pid: number, seq: number): string | undefined {
    const row = this.db.prepare('SELECT text FROM transcript WHERE pid = ? AND seq = ?').get(pid, seq) as { text: string } | undefined;
    return row?.text;
  }

  transcriptLength(pid: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM transcript WHERE pid = ?').get(pid) as { n: number }).n;
  }

  loadTurnResults(pid: number): string[] {
    return (this.db.prepare('SELECT line FROM turn_results WHERE pid = ? ORDER BY seq').all(pid) as Array<{ line: string }>).map((r) => r.line);
  }

  /**
   * The newest `result` event of this call (the whole result, as the syscall returned it), from the
   * events still queued or the store. Only the head of each row (`{"ts":…,"type":"result","pid":P,
   * "turn":T,"seq":S,…`) is matched as text, never the large results after it; json_extract confirms.
   */
  resultEvent(pid: number, turn: number, seq: number): Extract<KernelEvent, { type: 'result' }> | undefined {
    const isIt = (e: KernelEvent): e is Extract<KernelEvent, { type: 'result' }> =>
      e.type === 'result' && e.pid === pid && e.turn === turn && e.seq === seq;
    for (let i = this.queuedEvents.length - 1; i >= 0; i--) {
      const queued = this.queuedEvents[i]?.event;
      if (queued && isIt(queued)) return queued;
    }
    const row = this.db
      .prepare(
        `SELECT json FROM events WHERE pid = ? AND substr(json, 1, 200) LIKE '%"type":"result"%' AND substr(json, 1, 200) LIKE ?
         AND substr(json, 1, 200) LIKE ? AND json_extract(json, '$.turn') = ? AND json_extract(json, '$.seq') = ? ORDER BY id DESC LIMIT 1`,
      )
      .get(pid, `%"turn":${turn},%`, `%"seq":${seq},%`, turn, seq) as { json: string } | undefined;
    const event = row ? (JSON.parse(row.json) as KernelEvent) : undefined;
    return event && isIt(event) ? event : undefined;
  }

  loadMessages(): MessageRecord[] {
    return this.db.prepare('SELECT * FROM messages ORDER BY id').all() as MessageRecord[];
  }

  loadTimers(): TimerRecord[] {
    return this.db.prepare('SELECT * FROM timers').all() as TimerRecord[];
  }

  loadWebhooks(): WebhookRecord[] {
    return this.db.prepare('SELECT * FROM webhooks ORDER BY id').all() as WebhookRecord[];
  }

  /** Events of these pids, oldest first; `tail` keeps the newest N. */
  events(pids: readonly number[], tail?: number): KernelEvent[] {
    return this.storedEvents(pids, tail).map((e) => e.event);
  }

  /** Events of these pids with their ids, oldest first; `tail` keeps the newest N. */
  storedEvents(pids: readonly number[], tail?: number): StoredEvent[] {
    if (pids.length === 0) return [];
    const marks = pids.map(() => '?').join(',');
    const rows = this.db
      .prepare(`SELECT id, json FROM events WHERE pid IN (${marks}) ORDER BY id DESC LIMIT ?`)
      .all(...pids, tail ?? -1) as Array<{ id: number; json: string }>;
    return rows.reverse().map((r) => ({ id: r.id, json: r.json, event: JSON.parse(r.json) as KernelEvent }));
  }

  /** Count and usage of every ended process, by state (once, at start-up). */
  endedTotals(): Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }> {
    return this.db
      .prepare(
        `SELECT state, COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS prompt, COALESCE(SUM(output_tokens), 0) AS output,
         COALESCE(SUM(cost), 0) AS cost FROM processes WHERE state IN ('exited', 'killed') GROUP BY state`,
      )
      .all() as Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }>;
  }

  maxMessageId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM messages').get() as { id: number }).id;
  }

  /** Keep a copy of the committed state beside the store (SQLite's online backup); null for an in-memory store. */
  async backup(): Promise<string | null> {
    if (this.file === ':memory:' || this.closed) return null;
    return backupDb(this.db, this.file);
  }

  /** Commit what can be committed and close; false when writes were left uncommitted (a full disk). */
  close(): boolean {
    if (this.closed) return true;
    const flushed = this.flush();
    this.closed = true;
    this.checkpointer?.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (!flushed) this.hooks.log('error', `closing the kernel store with uncommitted writes: ${this.failure?.message ?? ''}`);
    this.db.close();
    for (const resolve of this.waiters.splice(0)) resolve();
    return flushed;
  }
}
