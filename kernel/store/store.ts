/**
 * The kernel's state, on SQLite (better-sqlite3, WAL) or PostgreSQL (pg/): engine.ts says which.
 * Writes are queued and committed together (group commit) — never an fsync per event. Whoever
 * acknowledges a change waits for `committed()`, so nothing reported as done can be lost or
 * rolled back; a wait makes the commit run at once. This file is the queue and the facets on it;
 * when a commit runs, how it goes and who hears of it is commit.ts's, what it writes write-batch.ts's.
 *
 * One process's bad data cannot stop the store: a row that cannot be built or written is reported
 * through `onWriteError` (the kernel ends that process) and the rest commits. A disk or a database
 * that refuses commits (full, read-only, I/O errors, unreachable) keeps every queued write in
 * memory, reports the store unhealthy, and retries until commits work again.
 */
import type { KernelEvent } from '../../protocol/events.js';
import { EventInserts, processRow, WriteBatch } from './write-batch.js';
import { GroupCommit, type PendingCommit } from './commit.js';
import { prepareStatements } from './records.js';
import { prepared } from './event-pages.js';
import type { ProcessRecord, Statements, StoredEvent, StoreHooks } from './records.js';
import type { SqlDb, SqlStatement } from './sql.js';
import { type Checkpointer, openSqliteEngine, type StoreEngine } from './engine.js';
import type { EventLog, KernelStore, MailRows, ProcessRows, StoreIds, StoreMoves, TranscriptRows } from './api.js';
import type {
  ApprovalRows,
  AuditLog,
  ChannelRows,
  IdempotencyRows,
  JournalLog,
  ProposalRows,
  SpendRows,
  ThreadRows,
  UnitRows,
} from './table-api.js';
import type { SqliteStore } from './sqlite.js';
import {
  ApprovalsTable,
  AuditTrail,
  Journal,
  ProposalsTable,
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
  private readonly commits: GroupCommit;
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
    const inserts = new EventInserts(this.db);
    this.eventSeq = (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as { id: number }).id;
    this.ids = engine.ids?.(this) ?? new SqliteIds(this);
    this.moves = engine.moves?.({ reserveEvents: (count) => (this.eventSeq += count) - count + 1 }) ?? null;
    this.checkpointer = engine.checkpoints?.((level, message) => this.hooks.log(level, message)) ?? null;
    const { db, stmt } = this;
    this.commits = new GroupCommit({
      hooks: () => this.hooks,
      // The backend's transaction: SQLite's is done when it returns; PostgreSQL's is sent, its answer awaited.
      transact: engine.commit ?? ((body): PendingCommit | null => (db.transaction(body)(), null)),
      putProcess: (record) => stmt.putProcess.run(processRow(record)),
      retryable: (error) => engine.retryable(error),
      commits: this.checkpointer?.commits ?? null,
      fresh: () => new WriteBatch(inserts),
    });
    this.processes = new SqliteProcessRows(this);
    this.transcripts = new SqliteTranscripts(this);
    this.events = new SqliteEventLog(this);
    this.mail = new SqliteMail(this);
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
    return this.commits.failure === null;
  }
  get lastError(): Error | null {
    return this.commits.failure;
  }

  /** Read-side queries of other modules (the web view's pages and search) on this connection: committed rows only. */
  query<T>(run: (db: SqlDb) => T): T {
    return run(this.db);
  }

  /** A read of committed rows, awaited: a networked engine's goes to its connection (engine.ts `read`), SQLite's answers at once. */
  async rows<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    if (this.engine.read) return (await this.engine.read(sql, params)) as T[];
    // A list of marks (`IN (?,?,…)`) varies with its values: prepared each time, not kept.
    return (sql.includes('?,') ? this.db.prepare(sql) : prepared(this.db, sql)).all(...params) as T[];
  }

  /** Whether `rows` waits for a connection (the engine has `read`) rather than answering at once. */
  get readsAwait(): boolean {
    return this.engine.read !== undefined;
  }

  /** Called with each batch of events once it is durable, in order: what may be shown to clients. */
  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void {
    return this.commits.onCommitted(listener);
  }

  /** Called once, after the next commit that works, with events or without (the audit trail's head file, when rows were queued). */
  afterCommit(hook: () => void): void {
    this.commits.next.after.push(hook);
  }

  // ---- the facets, each a module of its own on this connection ----
  readonly ids: StoreIds;
  readonly moves: StoreMoves | null;
  // Made once the statements and the queue are (their writes are the queue's own functions).
  readonly processes: ProcessRows;
  readonly transcripts: TranscriptRows;
  readonly events: EventLog;
  readonly mail: MailRows;
  private readonly tables: {
    audit?: AuditTrail;
    journal?: Journal;
    approvals?: ApprovalsTable;
    proposals?: ProposalsTable;
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
  get proposals(): ProposalRows {
    return (this.tables.proposals ??= new ProposalsTable(this));
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
    this.write(null, () => this.stmt.setMeta.run(key, String(value)));
  }

  // ---- queued writes ----

  /** The database, for tables kept by modules of their own (audit.ts, approvals-table.ts, journal.ts); they write through `write`. */
  get sql(): SqlDb {
    return this.db;
  }

  /** Queue a write of such a module: it commits with this tick's transaction, in order. */
  write(pid: number | null, run: () => void): void {
    this.commits.next.queue.push({ pid, run });
    this.commits.request(false);
  }

  /** A write of one statement with the caller's values (the process's pid first), queued as it is. */
  writer<A extends [pid: number, ...rest: unknown[]]>(statement: SqlStatement): (...values: A) => void {
    return (...values) => {
      this.commits.next.queue.push({ pid: values[0], run: () => statement.run(...values) });
      this.commits.request(false);
    };
  }

  /** A process's row, built at the commit (once however often it is saved in a tick). Bound: the process rows' `save` is it. */
  readonly writeRow = (pid: number, build: () => ProcessRecord): void => {
    this.commits.next.dirty.set(pid, build);
    this.commits.request(false);
  };

  /**
   * Queue an event with the next id. Its JSON is made at the commit, off the path of the reply that
   * emitted it; one that cannot be serialised is stored as an error event in its place
   * (`onUnstorableEvent`). Bound: the event log's `add` is it.
   */
  readonly writeEvent = (event: KernelEvent): void => {
    this.commits.next.events.push({ id: ++this.eventSeq, event, json: '' });
    this.commits.request(false);
  };

  placeEvents(): void {
    this.commits.next.placeEvents();
  }

  get lastQueuedEventId(): number {
    return this.eventSeq;
  }

  /** Events not committed yet (for reads that must see them). */
  get queuedEvents(): readonly StoredEvent[] {
    return this.commits.next.events;
  }

  /** Resolves once everything queued so far is committed (waits out a full disk or a database that does not answer). */
  committed(): Promise<void> {
    return this.commits.committed();
  }

  /**
   * Commit everything queued now, for a synchronous read that follows; false when the engine
   * refused it (kept for a retry). A commit under way ends first. On PostgreSQL this waits on the
   * kernel's thread (pg/bridge.ts): the group commits do not, this does (api.ts).
   */
  flush(): boolean {
    return this.commits.flush();
  }

  /** `flush()` awaited: what is queued now commits, the kernel's thread free meanwhile; false when the engine refused it. */
  flushed(): Promise<boolean> {
    return this.commits.settle();
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
    const flushed = this.commits.close();
    this.closed = true;
    void this.checkpointer?.stop();
    if (!flushed)
      this.hooks.log(
        'error',
        `closing the kernel store with uncommitted writes: ${this.commits.failure?.message ?? ''}`,
      );
    this.engine.close();
    return flushed;
  }
}
