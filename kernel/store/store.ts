/**
 * The kernel's state in SQLite (better-sqlite3, WAL). Writes are queued and committed in one
 * transaction per tick (group commit) — never an fsync per event. Whoever acknowledges a change
 * waits for `committed()`, so nothing reported as done can be lost or rolled back.
 *
 * A store on a file commits on a thread of its own (committer.ts): the kernel's thread only
 * builds the rows and hands them over. What a caller reads right after writing it is there: reads
 * that need it wait for the commit first (`flush`).
 *
 * One process's bad data cannot stop the store: a row that cannot be built or written is reported
 * through `onWriteError` (the kernel ends that process) and the rest commits. A disk that refuses
 * commits (full, read-only, I/O errors) keeps every write, in order, reports the store unhealthy,
 * and retries until space returns (commit-queue.ts).
 */
import type Database from 'better-sqlite3';
import { runAsKernel } from '../loop/blame.js';
import type { KernelEvent } from '../wire/events.js';
import { param } from '../param.js';
import { Checkpointer } from './checkpoint.js';
import { backupDb, openCheckedDb } from './check.js';
import type { Op, Outcome, WriteOps } from './commit-queue.js';
import { type Committer, InlineCommitter, ThreadCommitter } from './committer.js';
import { type ProcessRecord, SQL } from './records.js';
import { migrate } from './migrate.js';
import type { StoredEvent } from './store-reads.js';
import { StoreRows } from './store-rows.js';

export type { MessageRecord, ProcessRecord, ProcessSummary, TimerRecord, WebhookRecord } from './records.js';

/** A batch handed to the committer: its events go to clients once it is committed. */
interface Unsettled {
  events: StoredEvent[];
}


export interface StoreHooks {
  /** A row of this process could not be serialised or written; the rest was committed. */
  onWriteError(pid: number, error: Error): void;
  /** Commits started failing (healthy: false) or work again (healthy: true). */
  onHealth(healthy: boolean, error: Error | null): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
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

export class Store extends StoreRows {
  protected readonly db: Database.Database;
  private queue: WriteOps[] = [];
  /** pid -> row builder; a process dirtied many times in a tick is written once. */
  private dirty = new Map<number, () => ProcessRecord>();
  protected queuedEvents: StoredEvent[] = [];
  /** Batches handed to the committer whose outcome is not known yet, by seq. */
  private readonly unsettled = new Map<number, Unsettled>();
  private batchSeq = 0;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  private readonly committedListeners = new Set<(events: readonly StoredEvent[]) => void>();
  private readonly commitHooks: Array<() => void> = [];
  private flushScheduled = false;
  private failure: Error | null = null;
  private eventSeq: number;
  private closed = false;
  private checkpointer: Checkpointer | null = null;
  private readonly committer: Committer;
  hooks: StoreHooks = { onWriteError: () => undefined, onHealth: () => undefined, log: () => undefined };
  /** Set when this open created the store (a new or empty file), with why. */
  readonly createdNote: string | null;

  private constructor(readonly file: string) {
    super();
    const opened = openCheckedDb(file);
    this.db = opened.db;
    this.createdNote = opened.note;
    migrate(this.db, file);
    this.eventSeq = (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as { id: number }).id;
    const inMemory = file === ':memory:';
    if (!inMemory) this.checkpointOffThread();
    const options = {
      onOutcome: (outcome: Outcome) => this.settle(outcome),
      log: (level: 'warn' | 'error', message: string) => this.hooks.log(level, message),
      retryMs: param.storeRetryMs,
      autocheckpoint: this.checkpointer ? 0 : param.storeAutocheckpointPages,
    };
    this.committer = inMemory ? new InlineCommitter(this.db, options) : new ThreadCommitter(file, this.db, options);
  }

  /** WAL checkpoints on their own thread (checkpoint.ts); back in the commits if that thread is gone. */
  private checkpointOffThread(): void {
    this.checkpointer = new Checkpointer(this.file, param.storeCheckpointMs, {
      onError: (message) => this.hooks.log(message ? 'warn' : 'info', message ? `WAL checkpoints fail (the WAL keeps every commit): ${message}` : 'WAL checkpoints work again'),
      onExit: () => {
        this.checkpointer = null;
        if (!this.closed) this.committer.autocheckpoint(param.storeAutocheckpointPages);
      },
    });
  }

  static open(file: string): Store {
    return new Store(file);
  }

  /** Commits run on the store's own thread (committer.ts), not on the kernel's. */
  get commitsOnThread(): boolean {
    return this.committer.onThread;
  }

  /** Commits work (false while the disk refuses them). */
  get healthy(): boolean {
    return this.failure === null;
  }

  /** Why commits fail, while they do. */
  get lastError(): Error | null {
    return this.failure;
  }

  /** Read-side queries of other modules (the web view's pages and search) on this connection: committed rows only. */
  query<T>(run: (db: Database.Database) => T): T {
    return run(this.db);
  }

  /** Called with each batch of events once it is durable, in order: what may be shown to clients. */
  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  /** Called after each commit that worked, with events or without (the audit trail's head file). */
  afterCommit(hook: () => void): void {
    this.commitHooks.push(hook);
  }

  // ---- queued writes ----

  /** The database, for tables kept by modules of their own (audit.ts, approvals-table.ts, journal.ts); they write through `write`. */
  get sql(): Database.Database {
    return this.db;
  }

  /** Queue a write of such a module: its statements commit with this tick's transaction, in order, as one unit. */
  write(pid: number | null, ...ops: Op[]): void {
    this.enqueue(pid, ...ops);
  }

  protected enqueue(pid: number | null, ...ops: Op[]): void {
    this.queue.push({ pid, ops });
    this.scheduleFlush();
  }

  private get pending(): boolean {
    return this.queue.length > 0 || this.dirty.size > 0 || this.queuedEvents.length > 0;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    runAsKernel(() =>
      setImmediate(() => {
        this.flushScheduled = false;
        if (!this.closed) this.hand();
      }),
    );
  }

  /** Resolves once everything queued so far is committed (waits out a full disk). */
  committed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.pending) this.scheduleFlush();
    else if (this.unsettled.size === 0) return Promise.resolve();
    // What is queued goes out as the next batch.
    const seq = this.pending ? this.batchSeq + 1 : this.batchSeq;
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /**
   * Commit everything queued and wait for it: what a caller reads next includes it. Returns false
   * when the disk refuses commits (the writes are kept and retried).
   */
  flush(): boolean {
    if (this.closed) return true;
    this.hand();
    if (this.unsettled.size > 0) this.committer.waitFor(this.batchSeq);
    return this.failure === null;
  }

  /** Hand what is queued to the committer as one batch (process rows first: a queued write may amend or delete one). */
  private hand(): void {
    if (!this.pending) return;
    const writes: WriteOps[] = [];
    const broken: Array<[number, Error]> = [];
    for (const [pid, build] of this.dirty) {
      try {
        writes.push({ pid, ops: [[SQL.putProcess, build() as unknown as Record<string, unknown>]] });
      } catch (error) {
        broken.push([pid, asError(error)]);
      }
    }
    for (const write of this.queue) writes.push(write);
    const seq = ++this.batchSeq;
    this.unsettled.set(seq, { events: this.queuedEvents });
    this.queue = [];
    this.dirty = new Map();
    this.queuedEvents = [];
    this.committer.submit({ seq, writes });
    // A row that cannot be built is known now, not after the commit: its process ends at once.
    for (const [pid, error] of broken) this.hooks.onWriteError(pid, error);
  }

  /** Events queued or handed over and not committed yet, oldest first (reads look there before the tables). */
  protected uncommittedEvents(): StoredEvent[][] {
    const lists = [...this.unsettled.values()].map((u) => u.events);
    lists.push(this.queuedEvents);
    return lists;
  }

  /** What became of a batch: committed (clients may see its events now), or held by a refusing disk. */
  private settle(outcome: Outcome): void {
    if (outcome.held) {
      this.fail(Object.assign(new Error(outcome.held.message), { code: outcome.held.code }));
      return;
    }
    const batch = this.unsettled.get(outcome.seq);
    this.unsettled.delete(outcome.seq);
    this.checkpointer?.committed();
    for (const [pid, message] of outcome.broken ?? []) this.hooks.onWriteError(pid, new Error(message));
    for (const message of outcome.dropped ?? []) this.hooks.log('error', `a kernel write failed and was dropped: ${message}`);
    if (this.failure) {
      const was = this.failure;
      this.failure = null;
      this.hooks.log('info', `the kernel store commits again (it had failed: ${was.message})`);
      this.hooks.onHealth(true, null);
    }
    for (const hook of this.commitHooks) hook();
    const events = batch?.events ?? [];
    if (events.length > 0) for (const listener of this.committedListeners) listener(events);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.seq <= outcome.seq);
      this.waiters = this.waiters.filter((w) => w.seq > outcome.seq);
      for (const w of ready) w.resolve();
    }
  }

  private fail(error: Error): void {
    const first = this.failure === null;
    this.failure = error;
    if (first) {
      this.hooks.log('error', `the kernel store cannot commit (${error.message}); holding writes and retrying every ${param.storeRetryMs} ms`);
      this.hooks.onHealth(false, error);
    }
  }

  saveProcess(pid: number, build: () => ProcessRecord): void {
    this.dirty.set(pid, build);
    this.scheduleFlush();
  }

  putTranscript(pid: number, seq: number, role: string, text: string): void {
    this.enqueue(pid, [SQL.putTranscript, [pid, seq, role, text]]);
  }

  /** Queue an event; returns false when it cannot be serialised (nothing is stored). */
  addEvent(event: KernelEvent): boolean {
    const json = eventJson(event);
    if (json === null) return false;
    const id = ++this.eventSeq;
    this.queuedEvents.push({ id, event, json });
    this.enqueue(event.pid, [SQL.addEvent, [id, event.pid, json]]);
    return true;
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
    const left = this.committer.close();
    if (!flushed || left > 0) this.hooks.log('error', `closing the kernel store with uncommitted writes: ${this.failure?.message ?? ''}`);
    this.db.close();
    for (const w of this.waiters.splice(0)) w.resolve();
    return flushed && left === 0;
  }
}
