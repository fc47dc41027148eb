/**
 * The interfaces of the store's tables that modules of their own keep (the audit trail, the
 * journal, approvals, units, idempotency keys, channels, threads, spend): a backend opens them when
 * first used. Its own file: the store's core (commits, processes, transcripts, events, mail) is
 * api.ts's, which names these for the floors above.
 */
import type { AuditInput, AuditQuery, AuditRow, AuditVerdict } from './audit.js';
import type { SignedExport } from './audit-export-sign.js';
import type { AwaitedReads } from './awaited.js';
import type { ApprovalRecord } from './approvals-table.js';
import type { JournalEntry } from './journal.js';
import type { ProposalRecord } from './proposal-rows.js';
import type { UnitRecord, UnitRunRecord } from './unit-rows.js';
import type { SpendRecord } from './spend-rows.js';
import type { IdempotencyRecord } from './idempotency-rows.js';
import type { ThreadEntryQuery, ThreadEntryRecord, ThreadLinkHow, ThreadRecord } from './thread-rows.js';
import type {
  ApproverSetRecord,
  BindingRecord,
  ChannelMessageRecord,
  ChannelRecord,
  PairingRecord,
  SenderRecord,
} from './channel-rows.js';

/** The audit trail: append-only, each row chained to the one before by a keyed hash. */
export interface AuditLog {
  record(input: AuditInput): AuditRow;
  list(query: AuditQuery): AuditRow[];
  verify(): AuditVerdict;
  /** Rows after `after` up to `upto` in id order, at most `limit` (an export's pages). */
  page(after: number, upto: number, limit: number): AuditRow[];
  /** The signed head of an export of the rows after `after`; EIO when the trail does not verify. */
  signExport(after: number): SignedExport;
  /** The reads above awaited (awaited.ts): `aos audit`, `audit verify`, `audit export`, blame read through these. */
  readonly awaited: AwaitedReads<AuditLog, 'list' | 'page' | 'verify' | 'signExport'>;
}

/** The rollback journal: what each call changed, to put back. */
export interface JournalLog {
  record(entry: Omit<JournalEntry, 'id' | 'ts' | 'before_kind'>): void;
  entries(pids: readonly number[], fromTurn?: number): JournalEntry[];
  laterByOthers(path: string, afterId: number, pids: readonly number[]): JournalEntry | undefined;
  /** Every entry for `path`, oldest first (`aos blame`). */
  history(path: string): JournalEntry[];
  /** Each path whose newest change came from a tainted writer (issue 49). */
  taintedPaths(): Array<{ path: string; taint: string }>;
  sync(): void;
  remove(ids: readonly number[]): void;
  prune(ts: number): void;
  /** The reads above awaited (awaited.ts): `aos diff`, `rollback` and `blame` read through these. */
  readonly awaited: AwaitedReads<JournalLog, 'entries' | 'history' | 'laterByOthers' | 'sync'>;
}

/** Approval requests and their answers. */
export interface ApprovalRows {
  add(record: ApprovalRecord): void;
  settle(record: ApprovalRecord): void;
  loadPending(): ApprovalRecord[];
}

/** Proposals: calls a `propose` rule let run, undoable until they expire (proposal-rows.ts). */
export interface ProposalRows {
  add(record: ProposalRecord): void;
  settle(record: ProposalRecord): void;
  loadPending(): ProposalRecord[];
  get(id: string): Promise<ProposalRecord | undefined>;
  recent(limit: number): Promise<ProposalRecord[]>;
}

/** Units (declared agents) and a record of every firing of their triggers (unit-rows.ts). */
export interface UnitRows {
  all(): Promise<UnitRecord[]>;
  put(record: UnitRecord): void;
  remove(name: string): void;
  /** Due times up to `at` are handled (never moves back). */
  checked(name: string, at: number): void;
  addRun(run: Omit<UnitRunRecord, 'id'>): void;
  /** The newest `limit` firings, newest first. */
  runs(name: string, limit: number): UnitRunRecord[];
  /** `runs` awaited (awaited.ts): `aos unit ls`, `unit show`, `unit runs`. */
  readonly awaited: AwaitedReads<UnitRows, 'runs'>;
  /** Every run that started a process (start-up). */
  started(): Promise<Array<{ unit: string; pid: number; trigger: string }>>;
}

/** Idempotency keys and the processes they started (idempotency-rows.ts). */
export interface IdempotencyRows {
  live(now: number): Promise<IdempotencyRecord[]>;
  put(record: IdempotencyRecord): void;
  expire(now: number): void;
  /** Every key of a scope (a unit removed: a new unit of its name starts with none). */
  forget(scope: string): void;
}

/** Channels, their bindings, paired senders, pairings waiting and messages (channel-rows.ts). */
export interface ChannelRows {
  load(): Promise<{
    channels: ChannelRecord[];
    bindings: BindingRecord[];
    senders: SenderRecord[];
    pairings: PairingRecord[];
    approverSets: ApproverSetRecord[];
  }>;
  putChannel(row: ChannelRecord): void;
  removeChannel(name: string): void;
  putBinding(row: BindingRecord): void;
  removeBinding(id: string): void;
  putApproverSet(row: ApproverSetRecord): void;
  removeApproverSet(id: string): void;
  putSender(row: SenderRecord): void;
  putPairing(row: PairingRecord): void;
  removePairing(code: string): void;
  addMessage(row: ChannelMessageRecord, keep: number): void;
  messages(channel: string, options: { chat?: string; limit: number }): Promise<ChannelMessageRecord[]>;
  origins(): Promise<Array<ChannelMessageRecord & { pid: number }>>;
  knownChats(): Promise<Array<{ channel: string; chat: string }>>;
  counts(): Promise<Array<{ channel: string; direction: string; status: string; n: number }>>;
}

/** Context threads: their rows, append-only entries (full-text indexed) and who used them (thread-rows.ts). */
export interface ThreadRows {
  /** Every thread's row (start-up: the kernel keeps them and numbers entries). */
  all(): Promise<ThreadRecord[]>;
  /** The row as it is at the commit (null: removed meanwhile, nothing written). */
  put(build: () => ThreadRecord | null): void;
  append(entry: ThreadEntryRecord): void;
  entries(key: string, query: ThreadEntryQuery): Promise<ThreadEntryRecord[]>;
  /** Entries of these threads holding every word of an FTS5 match, newest first. */
  search(
    keys: readonly string[],
    match: string,
    options: { sinceTs: number; limit: number },
  ): Promise<ThreadEntryRecord[]>;
  trim(key: string, throughSeq: number): void;
  remove(key: string): void;
  link(key: string, pid: number, how: ThreadLinkHow): void;
  links(pids: readonly number[]): Array<{ key: string; pid: number; how: ThreadLinkHow }>;
  byKey(key: string): Array<{ pid: number; how: ThreadLinkHow }>;
  /** `links` and `byKey` awaited (awaited.ts): `aos inspect`, `thread show`, HISTORY_SEARCH. */
  readonly awaited: AwaitedReads<ThreadRows, 'links' | 'byKey'>;
}

/** Budgets' spend by window (spend-rows.ts). */
export interface SpendRows {
  windows(windows: readonly string[]): Promise<SpendRecord[]>;
  put(build: () => SpendRecord): void;
  history(budget: string, limit: number): SpendRecord[];
  /** `history` awaited (awaited.ts): `aos budget show`. */
  readonly awaited: AwaitedReads<SpendRows, 'history'>;
}
