/**
 * The kernel's state, on SQLite (better-sqlite3, WAL) or PostgreSQL (pg/): engine.ts says which.
 * Writes are queued and committed together (group commit) — never an fsync per event. Whoever acknowledges a change waits for `committed()`,
 * so nothing reported as done can be lost or rolled back; a wait makes the commit run at once.
 * When a commit runs is commit-timing.ts's: at once (paced) for a waiter, else once writes are quiet;
 * what it writes, in what order, is write-batch.ts's; how a commit goes (each write alone when one fails) is
 * commit-batch.ts's; who hears of it (waiters, listeners, the store's health) is commit-reports.ts's.
 *
 * One process's bad data cannot stop the store: a row that cannot be built or written is reported
 * through `onWriteError` (the kernel ends that process) and the rest commits. A disk that refuses
 * commits (full, read-only, I/O errors) keeps every queued write in memory, reports the store
 * unhealthy, and retries until space returns.
 */
import type { KernelEvent } from '../../protocol/events.js';
import { EventInserts, serialise, unstorableMessage, WriteBatch } from './write-batch.js';
import { type CommitContext, commitBatch } from './commit-batch.js';
import { CommitReports } from './commit-reports.js';
import { type Checkpointer, CommitTiming } from './commit-timing.js';
import { prepareStatements } from './records.js';
import type { ProcessRecord, Statements, StoredEvent, StoreHooks } from './records.js';
import type { SqlDb } from './sql.js';
import { openSqliteEngine, type StoreEngine } from './engine.js';
import type { EventLog, KernelStore, MailRows, ProcessRows, StoreIds, StoreMoves, TranscriptRows } from './api.js';
import type {
  ApprovalRows,
  AuditLog,
  ChannelRows,
  IdempotencyRows,
  JournalLog,
  SpendRows,
  ThreadRows,
  UnitRows,
} from './table-api.js';
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
  private readonly timing = new CommitTiming(() => this.flush());
  private readonly reports = new CommitReports(
    () => this.hooks,
    () => this.flush(),
  );
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
  private readonly commitContext: CommitContext;

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
    this.commitContext = {
      db: this.db,
      stmt: this.stmt,
      retryable: (error) => this.engine.retryable(error),
      log: (level, message) => this.hooks.log(level, message),
    };
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
    return this.reports.failure === null;
  }
  get lastError(): Error | null {
    return this.reports.failure;
  }

  /** Read-side queries of other modules (the web view's pages and search) on this connection: committed rows only. */
  query<T>(run: (db: SqlDb) => T): T {
    return run(this.db);
  }

  /** Called with each batch of events once it is durable, in order: what may be shown to clients. */
  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void {
    return this.reports.onCommitted(listener);
  }

  /** Called once, after the next commit that works, with events or without (the audit trail's head file, when rows were queued). */
  afterCommit(hook: () => void): void {
    this.reports.afterCommit(hook);
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
    if (this.closed || this.reports.failure) return;
    this.timing.request(now);
  }

  /** Resolves once everything queued so far is committed (waits out a full disk). */
  committed(): Promise<void> {
    if (!this.pending || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.reports.wait(resolve);
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
    const unstorable = serialise(batch.events);
    for (const event of unstorable) this.hooks.onUnstorableEvent(event, unstorableMessage(event));
    const outcome = commitBatch(this.commitContext, batch);
    if (outcome.kind === 'kept') {
      for (const [pid, error] of outcome.broken) this.hooks.onWriteError(pid, error);
      this.reports.shown(outcome.committed);
      this.batch = outcome.kept.before(this.batch);
      this.reports.fail(outcome.error);
      return false;
    }
    this.checkpointer?.committed();
    for (const [pid, error] of outcome.broken) this.hooks.onWriteError(pid, error);
    return this.settle(batch.events);
  }

  private settle(events: StoredEvent[]): boolean {
    this.reports.committed(events);
    // A committed() called from a listener above has already asked for its commit.
    if (this.pending) this.scheduleFlush();
    return true;
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
    this.reports.stopRetry();
    if (!flushed)
      this.hooks.log(
        'error',
        `closing the kernel store with uncommitted writes: ${this.reports.failure?.message ?? ''}`,
      );
    this.engine.close();
    this.reports.release();
    return flushed;
  }
}
