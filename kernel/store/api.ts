/**
 * The store as the kernel sees it: what it writes and reads, and when a write is safe. Everything
 * above kernel/store imports this file and nothing else of the store (the layer rule checks it);
 * the composition root opens an implementation (open.ts: SQLite today, store.ts). A second backend
 * implements these interfaces.
 *
 * The contract a backend keeps:
 * - Writes are queued and committed together (group commit); they never throw for a bad row: a row
 *   that cannot be written is reported through `hooks.onWriteError` and the rest commits.
 * - `committed()` resolves once everything queued before the call is durable; whoever acknowledges
 *   a change to a person or to the host waits for it. While commits fail `healthy` is false, the
 *   writes are kept, and `hooks.onHealth` says so both ways.
 * - Reads see committed data; a caller that needs what it just queued calls `flush()` first.
 * - Process ids, transcript sequence numbers and event ids are the kernel's today (pids from the
 *   `next_pid` meta row); a networked backend hands them out the same way, from its own sequences.
 *
 * Reads are synchronous here, as SQLite answers them in microseconds. A networked backend needs the
 * reads on a turn's path (loadTranscript, loadTurnResults, resultEvent) asynchronous: that change
 * to this interface is still to make, with the PostgreSQL backend.
 */
import type { KernelEvent } from '../../protocol/events.js';
import type { RawJson } from '../../protocol/raw-json.js';
import type { ProcRow } from '../../protocol/views.js';
import type { AuditInput, AuditQuery, AuditRow, AuditVerdict } from './audit.js';
import type { ApprovalRecord } from './approvals-table.js';
import type { EventRow, UsageRow } from './event-pages.js';
import type { JournalEntry } from './journal.js';
import type { PsColumns } from './ps-rows.js';
import type { MessageRecord, ProcessRecord, ProcessSummary, StoredEvent, StoreHooks, TimerRecord, WebhookRecord } from './records.js';

export type { AuditDecision, AuditInput, AuditQuery, AuditRow, AuditVerdict, DecidedBy } from './audit.js';
export type { ApprovalRecord, ApprovalStatus } from './approvals-table.js';
export type { EventRow, UsageRow } from './event-pages.js';
export type { JournalEntry } from './journal.js';
export type { PsColumns } from './ps-rows.js';
/** A stored process's `ps` row from its columns (the same the ps thread makes). */
export { psRowFromColumns } from './ps-rows.js';
export type { MessageRecord, ProcessRecord, ProcessSummary, StoredEvent, StoreHooks, TimerRecord, WebhookRecord } from './records.js';

export interface KernelStore {
  // ---- commits and health ----
  hooks: StoreHooks;
  readonly healthy: boolean;
  readonly lastError: Error | null;
  /** Set when this open created the store (a new or empty file), with why. */
  readonly createdNote: string | null;
  /** Resolves once everything queued before the call is durable. */
  committed(): Promise<void>;
  /** Commit what is queued now; false when the commit failed (the writes are kept). */
  flush(): boolean;
  /** After each commit, the events it made durable (for pushes to followers). */
  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void;
  /** Once, after the next commit. */
  afterCommit(hook: () => void): void;
  /** A copy of the store beside it (before an upgrade, after a crash); its path, or null. */
  backup(): Promise<string | null>;
  stopCheckpoints(): Promise<void>;
  close(): boolean;

  // ---- processes ----
  meta(key: string): string | undefined;
  setMeta(key: string, value: string | number): void;
  /** The row is built at the commit, so a process persisted many times in a tick is written once. */
  saveProcess(pid: number, build: () => ProcessRecord): void;
  loadLive(): ProcessRecord[];
  loadProcess(pid: number): ProcessRecord | undefined;
  unreapedChildren(): Array<{ pid: number; ppid: number }>;
  markReaped(pid: number): void;
  subtreePids(pid: number): number[];
  psColumns(last?: number): PsColumns[];
  prunable(ts: number, limit: number): ProcessSummary[];
  summaries(pids: readonly number[]): ProcessSummary[];
  endedTotals(): Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }>;
  removeProcesses(pids: readonly number[]): void;

  // ---- transcripts and the pending turn ----
  putTranscript(pid: number, seq: number, role: string, text: string): void;
  loadTranscript(pid: number, fromSeq?: number): Array<{ role: 'user' | 'model'; text: string; seq: number }>;
  loadTranscriptRow(pid: number, seq: number): string | undefined;
  transcriptLength(pid: number): number;
  putTurnResult(pid: number, seq: number, line: string): void;
  clearTurnResults(pid: number): void;
  loadTurnResults(pid: number): string[];

  // ---- events ----
  addEvent(event: KernelEvent): void;
  events(pids: readonly number[], tail?: number): KernelEvent[];
  storedEvents(pids: readonly number[], tail?: number): StoredEvent[];
  recentEvents(tail: number): KernelEvent[];
  resultEvent(pid: number, turn: number, seq: number): Extract<KernelEvent, { type: 'result' }> | undefined;
  /** The web view's pages: newest first before an id, oldest first after one. */
  eventsBefore(options: { pid: number | null; before: number | null; limit: number }): EventRow[];
  eventsAfter(after: number, limit: number): EventRow[];
  lastEventId(): number;
  usageRows(scan: number): UsageRow[];
  searchEvents(text: string, options: { pid: number | null; before: number | null; limit: number }): EventRow[];
  /** Index for search what is not yet indexed, `chunk` events at a time. */
  indexAll(chunk: number): Promise<void>;

  // ---- messages, timers, webhooks ----
  addMessage(m: MessageRecord): void;
  deleteMessages(ids: readonly number[]): void;
  loadMessages(): MessageRecord[];
  maxMessageId(): number;
  putTimer(t: TimerRecord): void;
  deleteTimer(pid: number, id: string): void;
  deleteTimers(pid: number): void;
  loadTimers(): TimerRecord[];
  putWebhook(w: WebhookRecord): void;
  loadWebhooks(): WebhookRecord[];

  // ---- what the safety room keeps ----
  readonly audit: AuditLog;
  readonly journal: JournalLog;
  readonly approvals: ApprovalRows;
}

/** The audit trail: append-only, each row chained to the one before by a keyed hash. */
export interface AuditLog {
  record(input: AuditInput): AuditRow;
  list(query: AuditQuery): AuditRow[];
  verify(): AuditVerdict;
}

/** The rollback journal: what each call changed, to put back. */
export interface JournalLog {
  record(entry: Omit<JournalEntry, 'id' | 'ts' | 'before_kind'>): void;
  entries(pids: readonly number[], fromTurn?: number): JournalEntry[];
  laterByOthers(path: string, afterId: number, pids: readonly number[]): JournalEntry | undefined;
  sync(): void;
  remove(ids: readonly number[]): void;
  prune(ts: number): void;
}

/** Approval requests and their answers. */
export interface ApprovalRows {
  add(record: ApprovalRecord): void;
  settle(record: ApprovalRecord): void;
  loadPending(): ApprovalRecord[];
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
  /** The `ps --all` lister over this store; `inline` lists on the kernel's thread, `maxPid` bounds the count. */
  allProcesses(source: { inline(): ProcRow[]; maxPid(): number }): AllProcesses;
}
