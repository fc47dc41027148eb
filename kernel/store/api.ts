/**
 * The store as the kernel sees it: what it writes and reads, and when a write is safe. Everything
 * above kernel/store imports this file and nothing else of the store (the layer rule checks it);
 * the composition root opens an implementation (open.ts: SQLite in a file, or PostgreSQL).
 *
 * The contract a backend keeps:
 * - Writes are queued and committed together (group commit); they never throw for a bad row: a row
 *   that cannot be written is reported through `hooks.onWriteError` and the rest commits.
 * - One commit at a time, in the order the writes were queued: writes queued while a commit is
 *   under way wait for the next one, and a commit the engine refused is kept whole and goes before
 *   them. `onCommitted` sees each durable batch of events in id order.
 * - `committed()` resolves once everything queued before the call is durable; whoever acknowledges
 *   a change to a person or to the host waits for it. While commits fail `healthy` is false, the
 *   writes are kept and retried, and `hooks.onHealth` says so both ways.
 * - Reads see committed data; a caller that needs what it just queued calls `flush()` first.
 * - Process ids, message ids and event ids are the store's (`ids`, `events.add`): a networked
 *   backend hands them out from its own sequences. A transcript's sequence numbers are its process's.
 *
 * What is asynchronous. The group commit: `committed()` is awaited, and a networked backend sends
 * each commit and awaits its answer, the kernel's thread free meanwhile. So is every read that
 * answers a client, sent the same way (engine.ts `read`) behind the commits sent before it, after
 * `flushed()` when it must see what was queued: the core facets' reads (`processes.get`, `subtree`,
 * `psColumns`, `prunable`, `summaries`, `ofTree`, the transcripts, `events.*`: ps, logs, history,
 * inspect, fork, rm, prune, the web view, HISTORY_SEARCH, a turn's reads), `threads.entries`/
 * `search`, `channels.messages`, and the awaited twins of the other tables' synchronous reads,
 * each under `awaited` (awaited.ts: audit, journal, unit runs, spend, thread links). Pending
 * approvals are answered from memory. Message ids come from a block reserved ahead (pg/ids.ts).
 * What is left synchronous — on PostgreSQL a round trip the kernel's thread waits for (pg/bridge.ts,
 * Atomics.wait) —, where waiting cannot happen or costs nothing that matters:
 * - opening the store and the start-up reads before the kernel serves anyone (the tables' `all`,
 *   `live`, `started`, `windows`, `load`, `loadPending`, ...; the audit trail's head as it opens),
 *   `flush()` on the kernel's own paths (recovery, stop), `close()`;
 * - `ids.nextPid()`, one nextval of the shared sequence per spawn: pids count 1, 2, 3 across the
 *   cluster and on from the last after a restart (blocks would skip pids at each restart; awaiting
 *   it makes SPAWN_AGENT asynchronous and spreads a burst of spawns); `nextMessageId()` when a
 *   burst outruns the block reserved ahead;
 * - `processes.getNow`/`subtreeNow`: an ended process the table's bounded cache of recent ones no
 *   longer holds (kill, stop, wait, mail, lineage: proc/table.ts `endedPcb`; `readPcb` awaits), a
 *   unit's own-writes check, a tainted writer's taint; the tables' synchronous reads, for the
 *   kernel's own paths (a unit's own writes, the taint ledger) and the tests; the event index
 *   (`indexAll`, a chunk at a time).
 * On SQLite every read is in-process: the awaited forms resolve at once, and the hot paths (a
 * spawn's pid, a message id) are counters in memory, with no promise added.
 *
 * What a new backend implements. The kernel needs a `KernelStore` and an `OpenedStore` (below):
 * anything that keeps this contract will do. The one in this folder is built to take another
 * engine with little code: store.ts (the queue and the facets), commit.ts (when a commit runs, how
 * it goes, who hears) and write-batch.ts (what it writes) are the engine's users, and an engine is
 * a `StoreEngine` (engine.ts) —
 * - `db`: a `SqlDb` (sql.ts: better-sqlite3's synchronous shape) on which the facets' SQLite SQL
 *   runs, translated as needed (pg/dialect.ts): the synchronous reads above, and the writes' statements.
 * - `read(sql, params)`, optional: a read whose answer is awaited (the same SQL, rows as `db`'s
 *   `all`), sent behind the commits sent before it: every awaited read goes through it (store.ts
 *   `rows`). Without it they run on `db` and resolve at once (SQLite).
 * - `commit(body)`, optional: one transaction of a group commit, sent and not waited for — `body`
 *   runs at once and makes the writes (the engine takes them, as pg/pg-db.ts does), and the answer
 *   comes back as a `PendingCommit`: a promise the store awaits, and `wait()` for `flush()`. It
 *   rejects with the engine's error or the row's; `retryable(error)` tells them apart (kept and
 *   retried, or that write alone blamed). Without it a commit is `db.transaction(body)()`, done
 *   when it returns (SQLite).
 * - `ids` (sequences every node shares, pg/ids.ts), `moves` (trees taken over from a dead node),
 *   `backup`, `close`, and for SQLite `checkpoints`.
 * So a backend implements synchronously `db`, `ids`, `retryable`, `close`; asynchronously `commit`
 * and `read` — or leaves those out and is synchronous throughout, as SQLite is.
 * Its tests: test/kernel/store/pg-store.test.ts runs each facet on both engines side by side;
 * pg-*-async.test.ts hold a lock from another session while each awaited read waits.
 *
 * The tables are facets (`processes`, `transcripts`, `events`, `mail`, `audit`, ...), each its own
 * module in a backend; those kept by modules of their own (audit to channels) are table-api.ts's.
 */
import type { KernelEvent } from '../../protocol/events.js';
import type { RawJson } from '../../protocol/raw-json.js';
import type { ProcRow } from '../../protocol/views.js';
import type { EventRow, UsageRow } from './event-pages.js';
import type { TreeSearch } from './event-search.js';
import type { PsColumns } from './ps-rows.js';
import type { StoreMoves } from './pg/options.js';
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
import type {
  MessageRecord,
  ProcessRecord,
  ProcessSummary,
  StoredEvent,
  StoreHooks,
  TimerRecord,
  WebhookRecord,
} from './records.js';

export type { AuditDecision, AuditInput, AuditQuery, AuditRow, AuditVerdict, DecidedBy } from './audit.js';
export type { ApprovalRecord, ApprovalStatus } from './approvals-table.js';
export type { EventRow, UsageRow } from './event-pages.js';
export type { TreeSearch } from './event-search.js';
export type { JournalEntry } from './journal.js';
export type { AwaitedReads } from './awaited.js';
export type { ProposalRecord, ProposalState } from './proposal-rows.js';
export type { UnitRecord, UnitRunOutcome, UnitRunRecord } from './unit-rows.js';
export type { SpendRecord } from './spend-rows.js';
export type { IdempotencyRecord } from './idempotency-rows.js';
export type {
  ThreadEntryKind,
  ThreadEntryQuery,
  ThreadEntryRecord,
  ThreadLinkHow,
  ThreadRecord,
} from './thread-rows.js';
export type {
  BindingRecord,
  ChannelMessageRecord,
  ChannelRecord,
  PairingRecord,
  SenderRecord,
} from './channel-rows.js';
export type { PsColumns } from './ps-rows.js';
export type {
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
export type { PostgresStoreOptions, StoreMoves } from './pg/options.js';
/** A row of a PostgreSQL store read straight from the database (another node's): its texts as they were written. */
export { unescapeRow as storedRow } from './pg/text.js';
/** A stored process's `ps` row from its columns (the same the ps thread makes). */
export { psRowFromColumns } from './ps-rows.js';
/** Words as an FTS5 match of them (quoted, all required, the last a prefix): the thread search uses the events' rule. */
export { toMatch as ftsMatch } from './event-search.js';
export type {
  MessageRecord,
  ProcessRecord,
  ProcessSummary,
  StoredEvent,
  StoreHooks,
  TimerRecord,
  WebhookRecord,
} from './records.js';

export interface KernelStore {
  // ---- commits and health ----
  hooks: StoreHooks;
  readonly healthy: boolean;
  readonly lastError: Error | null;
  /** Set when this open created the store (a new or empty file), with why. */
  readonly createdNote: string | null;
  /** Resolves once everything queued before the call is durable. */
  committed(): Promise<void>;
  /** Commit what is queued now; false when the commit failed (the writes are kept). On PostgreSQL the kernel's thread waits: callers that can, await `flushed()`. */
  flush(): boolean;
  /** `flush()` awaited: resolves once what is queued now is durable (true), or the engine refused it (false, kept). */
  flushed(): Promise<boolean>;
  /** After each commit, the events it made durable (for pushes to followers). */
  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void;
  /** The id of the newest event queued (committed or not): what a follower started now has already happened. */
  readonly lastQueuedEventId: number;
  /** Once, after the next commit. */
  afterCommit(hook: () => void): void;
  /** A copy of the store beside it (before an upgrade, after a crash); its path, or null. */
  backup(): Promise<string | null>;
  stopCheckpoints(): Promise<void>;
  close(): boolean;

  /** The kernel's own keys (running flag, crash suspect, webhook sequence). */
  meta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string | number): void;

  // ---- the tables, each a facet a backend implements on its own ----
  readonly ids: StoreIds;
  readonly processes: ProcessRows;
  readonly transcripts: TranscriptRows;
  readonly events: EventLog;
  readonly mail: MailRows;
  readonly audit: AuditLog;
  readonly journal: JournalLog;
  readonly approvals: ApprovalRows;
  readonly proposals: ProposalRows;
  readonly units: UnitRows;
  readonly spend: SpendRows;
  readonly idempotency: IdempotencyRows;
  readonly threads: ThreadRows;
  readonly channels: ChannelRows;
  /** Trees taken over from another store on the same database (a dead node's); null where the engine has no such thing (SQLite). */
  readonly moves: StoreMoves | null;
}

/**
 * Ids the store hands out, so that two kernels on one store never hand out the same one. Event
 * ids are the event log's own (`events.add`). Message ids are taken synchronously: a networked
 * backend hands them out of a block of its sequence and reserves the next block in the background.
 */
export interface StoreIds {
  /** At once: on PostgreSQL a round trip the kernel's thread waits for (api.ts's header says why it stays so). */
  nextPid(): number;
  /** The highest pid handed out so far (0 for none). */
  lastPid(): number;
  nextMessageId(): number;
}

/** Process rows: written whole at the commit, read back at start-up and for ended processes. */
export interface ProcessRows {
  /** The row is built at the commit, so a process persisted many times in a tick is written once. */
  save(pid: number, build: () => ProcessRecord): void;
  /** Processes that had not ended (start-up). */
  live(): Promise<ProcessRecord[]>;
  /** Ended children of live processes that their parent has not reaped with WAIT yet (start-up). */
  unreapedChildren(): Promise<Array<{ pid: number; ppid: number }>>;
  /** Count and usage of every ended process, by state (start-up). */
  endedTotals(): Promise<
    Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }>
  >;
  markReaped(pid: number): void;
  get(pid: number): Promise<ProcessRecord | undefined>;
  /** `get` at once, for the kernel's own look-ups that cannot wait (an ended process's PCB); on PostgreSQL a round trip the kernel's thread waits for. */
  getNow(pid: number): ProcessRecord | undefined;
  subtree(pid: number): Promise<number[]>;
  /** `subtree` at once, for the kernel's own checks that cannot wait (a unit's own writes); on PostgreSQL the kernel's thread waits. */
  subtreeNow(pid: number): number[];
  psColumns(last?: number): Promise<PsColumns[]>;
  prunable(ts: number, limit: number): Promise<ProcessSummary[]>;
  summaries(pids: readonly number[]): Promise<ProcessSummary[]>;
  /** Every process of a tree (its root's pid) with its capabilities (JSON): whose past HISTORY_SEARCH may read. */
  ofTree(tree: number): Promise<Array<{ pid: number; capabilities: string }>>;
  /** Delete every row of these (ended) processes, in every table; events queued before go in first. */
  remove(pids: readonly number[]): void;
}

/** Transcripts, and the results of a pending turn's calls (kept so a restart resumes mid-turn). */
export interface TranscriptRows {
  put(pid: number, seq: number, role: string, text: string): void;
  /** The rows from `fromSeq` on, in order (the whole transcript by default). */
  load(pid: number, fromSeq?: number): Promise<Array<{ role: 'user' | 'model'; text: string; seq: number }>>;
  row(pid: number, seq: number): Promise<string | undefined>;
  length(pid: number): Promise<number>;
  putResult(pid: number, seq: number, line: string): void;
  clearResults(pid: number): void;
  results(pid: number): Promise<string[]>;
}

/** The event log: ids in commit order, the cursor of every follower. */
export interface EventLog {
  /** Queue an event; it gets the next id (its JSON is made at the commit). Bound to its log: the kernel subscribes it to its event bus as it is. */
  readonly add: (event: KernelEvent) => void;
  /** Events of these pids, oldest first; `tail` keeps the newest N. */
  of(pids: readonly number[], tail?: number): Promise<KernelEvent[]>;
  stored(pids: readonly number[], tail?: number): Promise<StoredEvent[]>;
  /** The newest `tail` events of every process, oldest first. */
  recent(tail: number): Promise<KernelEvent[]>;
  /** The newest `result` event of this call, from the events still queued or the store (SYS_RESULT_READ). */
  result(pid: number, turn: number, seq: number): Promise<Extract<KernelEvent, { type: 'result' }> | undefined>;
  /** The web view's pages: newest first before an id, oldest first after one. */
  before(options: { pid: number | null; before: number | null; limit: number }): Promise<EventRow[]>;
  after(after: number, limit: number): Promise<EventRow[]>;
  lastId(): Promise<number>;
  usage(scan: number): Promise<UsageRow[]>;
  search(text: string, options: { pid: number | null; before: number | null; limit: number }): Promise<EventRow[]>;
  /** Events of these processes (of these types, since an ISO time) matching `text`, newest first (HISTORY_SEARCH). */
  searchTree(text: string, query: TreeSearch): Promise<EventRow[]>;
  /** Index for search what is not yet indexed, `chunk` events at a time (with `stepMs`, as many as take about that long). */
  indexAll(chunk: number, stepMs?: number): Promise<void>;
}

/** What is in flight between processes: messages and stdin, timers, webhook routes. */
export interface MailRows {
  addMessage(m: MessageRecord): void;
  deleteMessages(ids: readonly number[]): void;
  messages(): Promise<MessageRecord[]>;
  putTimer(t: TimerRecord): void;
  deleteTimer(pid: number, id: string): void;
  deleteTimers(pid: number): void;
  timers(): Promise<TimerRecord[]>;
  putWebhook(w: WebhookRecord): void;
  webhooks(): Promise<WebhookRecord[]>;
}

/** `ps --all`: every stored process as JSON, made off the kernel's thread when the store is large (ps-all.ts). */
export interface AllProcesses {
  readonly threaded: boolean;
  json(now?: number): Promise<RawJson<ProcRow[]>>;
  close(): Promise<void>;
}

/** What the composition root opens (open.ts). */
export interface OpenedStore {
  readonly store: KernelStore;
  /** The `ps --all` lister over this store; `inline` lists from the kernel (its store reads awaited), `maxPid` bounds the count. */
  allProcesses(source: { inline(): Promise<ProcRow[]>; maxPid(): number }): AllProcesses;
}
