/**
 * The kernel's state, on SQLite (better-sqlite3, WAL) or PostgreSQL (pg/): engine.ts says which.
 * Writes are queued and committed together (group commit) — never an fsync per event. Whoever acknowledges a change waits for `committed()`,
 * so nothing reported as done can be lost or rolled back; a wait makes the commit run at once.
 * When a commit runs is commit-timing.ts's: at once (paced) for a waiter, else once writes are quiet;
 * what it writes, in what order, is write-batch.ts's.
 *
 * One process's bad data cannot stop the store: a row that cannot be built or written is reported
 * through `onWriteError` (the kernel ends that process) and the rest commits. A disk that refuses
 * commits (full, read-only, I/O errors) keeps every queued write in memory, reports the store
 * unhealthy, and retries until space returns.
 */
import { runAsKernel } from '../../sys/blame.js';
import type { KernelEvent } from '../../protocol/events.js';
import { param } from '../../sys/param.js';
import { asError, EventInserts, serialise, unstorableMessage, WriteBatch } from './write-batch.js';
import { type Checkpointer, CommitTiming } from './commit-timing.js';
import {
  type ProcessRecord,
  prepareStatements,
  processRow,
  type Statements,
  type StoredEvent,
  type StoreHooks,
} from './records.js';
import type { SqlDb } from './sql.js';
import { openSqliteEngine, type StoreEngine } from './engine.js';
import type {
  StoreMoves,
  ApprovalRows,
  AuditLog,
  ChannelRows,
  EventLog,
  JournalLog,
  KernelStore,
  MailRows,
  ProcessRows,
  StoreIds,
  SpendRows,
  IdempotencyRows,
  ThreadRows,
  TranscriptRows,
  UnitRows,
} from './api.js';
import type { SqliteStore } from './sqlite.js';
import {
  ApprovalsTable,
  AuditTrail,
  Journal,
  SqliteChannels,
  SqliteEventLog,
  SqliteIdempotency,
  SqliteIds,
  SqliteMail,
  SqliteProcessRows,
  SqliteSpend,
  SqliteThreads,
  SqliteTranscripts,
  SqliteUnits,
} from './facets.js';

export type { MessageRecord, ProcessRecord, ProcessSummary, TimerRecord, WebhookRecord } from './records.js';

export class Store implements KernelStore, SqliteStore {
  private readonly db: SqlDb;
  readonly stmt: Statements;
  private readonly eventInserts: EventInserts;
  /** What the next commit writes. */
  private batch: WriteBatch;
  private waiters: Array<() => void> = [];
  private readonly committedListeners = new Set<(events: readonly StoredEvent[]) => void>();
  private commitHooks: Array<() => void> = [];
  private readonly timing = new CommitTiming(() => this.flush());
  private retryTimer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private eventSeq: number;
  private closed = false;
  private checkpointer: Checkpointer | null = null;
  hooks: StoreHooks = {
    onWriteError: () => undefined,
    onUnstorableEvent: () => undefined,
    onHealth: () => undefined,
    log: () => undefined,
  };
  /** Set when this open created the store (a new or empty file), with why. */
  readonly createdNote: string | null;

  private constructor(
    readonly file: string,
    private readonly engine: StoreEngine,
  ) {
    this.db = engine.db;
    this.createdNote = engine.note;
    this.stmt = prepareStatements(this.db);
    this.eventInserts = new EventInserts(this.db);
    this.batch = new WriteBatch(this.eventInserts);
    this.eventSeq = (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as { id: number }).id;
    this.ids = engine.ids?.(this) ?? new SqliteIds(this);
    this.moves = engine.moves?.({ reserveEvents: (count) => (this.eventSeq += count) - count + 1 }) ?? null;
    this.checkpointer = engine.checkpoints?.((level, message) => this.hooks.log(level, message)) ?? null;
  }

  /** A SQLite store in this file (':memory:' for none): made or brought up to date, checked first (check.ts). */
  static open(file: string): Store {
    return new Store(file, openSqliteEngine(file));
  }

  /** A store on another engine (pg/open.ts): `file` names where its side files live (the audit anchor and key). */
  static on(file: string, engine: StoreEngine): Store {
    return new Store(file, engine);
  }

  /** Commits work (false while the disk refuses them), and why not while they do not. */
  get healthy(): boolean {
    return this.failure === null;
  }
  get lastError(): Error | null {
    return this.failure;
  }

  /** Read-side queries of other modules (the web view's pages and search) on this connection: committed rows only. */
  query<T>(run: (db: SqlDb) => T): T {
    return run(this.db);
  }

  /** Called with each batch of events once it is durable, in order: what may be shown to clients. */
  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  /** Called once, after the next commit that works, with events or without (the audit trail's head file, when rows were queued). */
  afterCommit(hook: () => void): void {
    this.commitHooks.push(hook);
  }

  // ---- the facets, each a module of its own on this connection ----
  readonly ids: StoreIds;
  readonly moves: StoreMoves | null;
  readonly processes: ProcessRows = new SqliteProcessRows(this);
  readonly transcripts: TranscriptRows = new SqliteTranscripts(this);
  readonly events: EventLog = new SqliteEventLog(this);
  readonly mail: MailRows = new SqliteMail(this);
  private readonly tables: {
    audit?: AuditTrail;
    journal?: Journal;
    approvals?: ApprovalsTable;
    units?: SqliteUnits;
    spend?: SqliteSpend;
    keys?: SqliteIdempotency;
    threads?: SqliteThreads;
    channels?: SqliteChannels;
  } = {};
  get audit(): AuditLog {
    return (this.tables.audit ??= new AuditTrail(this));
  }
  get journal(): JournalLog {
    return (this.tables.journal ??= new Journal(this));
  }
  get approvals(): ApprovalRows {
    return (this.tables.approvals ??= new ApprovalsTable(this));
  }
  get units(): UnitRows {
    return (this.tables.units ??= new SqliteUnits(this));
  }
  get spend(): SpendRows {
    return (this.tables.spend ??= new SqliteSpend(this));
  }
  get idempotency(): IdempotencyRows {
    return (this.tables.keys ??= new SqliteIdempotency(this));
  }
  get threads(): ThreadRows {
    return (this.tables.threads ??= new SqliteThreads(this));
  }
  get channels(): ChannelRows {
    return (this.tables.channels ??= new SqliteChannels(this));
  }

  async meta(key: string): Promise<string | undefined> {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string | number): void {
    this.enqueue(null, () => this.stmt.setMeta.run(key, String(value)));
  }

  // ---- queued writes ----

  /** The database, for tables kept by modules of their own (audit.ts, approvals-table.ts, journal.ts); they write through `write`. */
  get sql(): SqlDb {
    return this.db;
  }

  /** Queue a write of such a module: it commits with this tick's transaction, in order. */
  write(pid: number | null, run: () => void): void {
    this.enqueue(pid, run);
  }

  private enqueue(pid: number | null, run: () => void): void {
    this.batch.queue.push({ pid, run });
    this.scheduleFlush();
  }

  /** Events not committed yet (for reads that must see them). */
  get queuedEvents(): readonly StoredEvent[] {
    return this.batch.events;
  }

  private get pending(): boolean {
    return !this.batch.empty;
  }

  /** `now`: someone waits for the commit (commit-timing.ts decides when it runs). */
  private scheduleFlush(now = false): void {
    if (this.closed || this.failure) return;
    this.timing.request(now);
  }

  /** Resolves once everything queued so far is committed (waits out a full disk). */
  committed(): Promise<void> {
    if (!this.pending || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.scheduleFlush(true);
    });
  }

  /** Commit everything queued, in one transaction. Returns false when the disk refused it (kept for a retry). */
  flush(): boolean {
    this.timing.reset();
    if (this.closed) return true;
    if (!this.pending) return this.settle([]);
    const batch = this.batch;
    this.batch = new WriteBatch(this.eventInserts);
    const broken: Array<[number, Error]> = [];
    const putProcess = (pid: number, build: () => ProcessRecord): void => this.putProcess(pid, build, broken);
    const unstorable = serialise(batch.events);
    for (const event of unstorable) this.hooks.onUnstorableEvent(event, unstorableMessage(event));
    try {
      this.db.transaction(() => batch.run(putProcess))();
    } catch (error) {
      if (this.engine.retryable(error)) {
        // Kept, in the same order, for the retry.
        this.batch = batch.before(this.batch);
        this.fail(asError(error));
        return false;
      }
      let lost: Error | null = null;
      const { kept, committed } = batch.runEach(
        (pid, run) => this.runAlone(pid, run, broken, (e) => (lost = e)),
        putProcess,
      );
      if (kept) {
        // The engine failed part way: what committed is shown, the rest kept (in order) for the retry.
        for (const [pid, error] of broken) this.hooks.onWriteError(pid, error);
        if (committed.length > 0) for (const listener of this.committedListeners) listener(committed);
        this.batch = kept.before(this.batch);
        this.fail(lost ?? new Error('the store failed'));
        return false;
      }
    }
    this.checkpointer?.committed();
    for (const [pid, error] of broken) this.hooks.onWriteError(pid, error);
    return this.settle(batch.events);
  }

  private putProcess(pid: number, build: () => ProcessRecord, broken: Array<[number, Error]>): void {
    let record: ProcessRecord;
    try {
      record = build();
    } catch (error) {
      broken.push([pid, asError(error)]);
      return;
    }
    this.stmt.putProcess.run(processRow(record));
  }

  /** One write in a transaction of its own (another write of its batch failed on its own); a failure names its process. */
  private runAlone(
    pid: number | null,
    run: () => void,
    broken: Array<[number, Error]>,
    lost: (error: Error) => void,
  ): 'done' | 'failed' | 'retry' {
    try {
      this.db.transaction(run)();
      return 'done';
    } catch (error) {
      if (this.engine.retryable(error)) {
        lost(asError(error));
        return 'retry';
      }
      if (pid !== null) broken.push([pid, asError(error)]);
      else this.hooks.log('error', `a kernel write failed and was dropped: ${asError(error).message}`);
      return 'failed';
    }
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
    const hooks = this.commitHooks;
    if (hooks.length > 0) this.commitHooks = [];
    for (const hook of hooks) hook();
    if (events.length > 0) for (const listener of this.committedListeners) listener(events);
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
    // A committed() called from a listener above has already asked for its commit.
    if (this.pending) this.scheduleFlush();
    return true;
  }

  private fail(error: Error): void {
    const first = this.failure === null;
    this.failure = error;
    if (first) {
      this.hooks.log(
        'error',
        `the kernel store cannot commit (${error.message}); holding writes and retrying every ${param.storeRetryMs} ms`,
      );
      this.hooks.onHealth(false, error);
    }
    this.retryTimer ??= runAsKernel(() =>
      setTimeout(() => {
        this.retryTimer = null;
        this.flush();
      }, param.storeRetryMs),
    );
  }

  writeRow(pid: number, build: () => ProcessRecord): void {
    this.batch.dirty.set(pid, build);
    this.scheduleFlush();
  }

  /**
   * Queue an event. Its JSON is made at the commit, off the path of the reply that emitted it; one
   * that cannot be serialised is stored as an error event in its place (`onUnstorableEvent`).
   */
  writeEvent(event: KernelEvent): void {
    this.batch.events.push({ id: ++this.eventSeq, event, json: '' });
    this.scheduleFlush();
  }

  placeEvents(): void {
    this.batch.placeEvents();
  }

  /** Keep a copy of the committed state beside the store (SQLite's online backup); null for an in-memory store. */
  async backup(): Promise<string | null> {
    if (this.file === ':memory:' || this.closed) return null;
    return this.engine.backup();
  }

  /** End the checkpoint thread and wait for it, so that the store's files are final once close() returns (before it, on shutdown). */
  async stopCheckpoints(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    await checkpointer?.stop();
  }

  /** Commit what can be committed and close; false when writes were left uncommitted (a full disk). */
  close(): boolean {
    if (this.closed) return true;
    const flushed = this.flush();
    this.closed = true;
    void this.checkpointer?.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (!flushed)
      this.hooks.log('error', `closing the kernel store with uncommitted writes: ${this.failure?.message ?? ''}`);
    this.engine.close();
    for (const resolve of this.waiters.splice(0)) resolve();
    return flushed;
  }
}
