/**
 * A process's in-kernel runtime: its PCB plus the queues and the one wait it may be parked in.
 * A blocked or sleeping process holds no slot and spends no tokens: it is a parked promise.
 */
import type { ModelMessage } from '../../drivers/llm/types.js';
import type { InboxMessage } from '../../syscalls/services.js';
import { CapabilitySet } from './capabilities.js';
import { pcbFromRecord } from './pcb-record.js';
import { param } from '../../sys/param.js';
import type { ParsedBlock } from '../../sys/abi/parser.js';
import type { ProcessRecord, ProcessSummary } from '../store/records.js';
import type { KillRequest, Pcb, ProcState, WaitSpec } from '../../sys/types.js';
import { Waking } from '../../sys/waking.js';
import type { Notice } from '../context/context.js';

export type WakeReason = 'ready' | 'timeout' | 'interrupt';


export interface Timer {
  id: string;
  handle: NodeJS.Timeout | null;
  fireAt: number;
  intervalMs: number | null;
  prompt: string;
}

/** The calls of the current reply and how far they got; persisted so a restart can go on. */
export interface PendingTurn {
  turn: number;
  reply: string;
  blocks: ParsedBlock[];
  lines: string[];
  next: number;
  /** The call at `next` was started and has no result yet. */
  started: boolean;
  /** The transcript row holding the reply: a restart parses it again instead of storing the blocks. */
  replySeq: number;
}

/**
 * What is stored of a pending turn: a few numbers, so persisting after each call costs O(1); the
 * reply is a transcript row and each call's result line a row of its own (turn_results).
 */
export type StoredPendingTurn = Pick<PendingTurn, 'turn' | 'next' | 'started' | 'replySeq'>;

/** Kernel crashes counted against the turn a process was in (see recovery.ts). */
export interface CrashCount { at: string; count: number }

export type StoredMessage = InboxMessage & { id: number };

/** A transcript entry and its row in the store (rows are append-only; compaction starts a new context). */
export type Entry = ModelMessage & { seq: number };

/** Where the model's context starts in the stored transcript after a compaction. */
export interface ContextStart {
  /** The row holding the task plus the summary of everything compacted. */
  summarySeq: number;
  /** Rows kept verbatim right after it (older than it); every row after `summarySeq` follows. */
  keptSeqs: number[];
  /** Compactions so far. */
  count: number;
}

interface Runtime {
  notices: Notice[];
  /** Older stores: the children this process reaped (now a flag on each child's row). */
  reaped?: number[];
  stdout: string;
  noSyscallStreak: number;
  identicalStreak: number;
  lastSignature: string;
  timerSeq: number;
  /** Older stores kept the whole PendingTurn here. */
  pending: StoredPendingTurn | PendingTurn | null;
  /** The last turn whose `prompt` event was emitted: events stay exactly-once across restarts. */
  promptTurn?: number;
  crash?: CrashCount | null;
  kill?: KillRequest | null; // asked, not yet carried out: a restart ends the process with it
  budget?: { maxTokens: number | null; maxCost: number | null; maxWallS: number | null; contextTokens?: number };
  context?: ContextStart | null;
  contextWarned?: boolean;
}

export class Proc {
  readonly abort = new AbortController();
  transcript: Entry[] = [];
  nextSeq = 0;
  context: ContextStart | null = null;
  /** The context-size warning was given since the last compaction. */
  contextWarned = false;
  readonly mailbox: StoredMessage[] = [];
  readonly stdin: Array<{ id: number; text: string }> = [];
  notices: Notice[] = [];
  /** Children whose exit this process has not taken with WAIT: live ones, and ended ones (in the store). */
  readonly children = new Set<number>();
  /** From an older store's runtime: children reaped before, which recovery must not count again. */
  legacyReaped: number[] = [];
  readonly timers = new Map<string, Timer>();
  /** Ends the process when its wall-time budget runs out. */
  wallTimer: NodeJS.Timeout | null = null;
  timerSeq = 0;
  stdout = '';
  /** Set by kill (killed, 137) or a crossed budget (exited, 1): the turn loop reaps it. Stored (kill.ts). */
  killRequested: KillRequest | null = null;
  exitRequested: { code: number; result: string | null } | null = null;
  noSyscallStreak = 0;
  lastSignature = '';
  identicalStreak = 0;
  /** Set when a call parked during the current turn: waiting is not looping. */
  parkedThisTurn = false;
  pending: PendingTurn | null = null;
  /** Set by recovery from the store: the pending turn before its reply is parsed again. */
  storedPending: StoredPendingTurn | PendingTurn | null = null;
  promptTurn = -1;
  crash: CrashCount | null = null;
  /** The system prompt, built on the first turn (it depends only on fields fixed at spawn). */
  systemPrompt: string | undefined;
  /** Parked by the disk guard (blocked, reason `disk full`), not by a syscall. */
  diskWait = false;
  /** Its runtime could not be stored once: from then on only the PCB is (the process is being ended). */
  recordBroken = false;
  /** A turn (inference or calls) is running for this process: that turn will reap a kill. */
  inTurn = false;
  /**
   * Counts the turns begun. A turn's last calls start the next turn before its own epilogue runs
   * (next → makeReady → the scheduler starts it at once), so an epilogue clears `inTurn` only while
   * its turn is still the latest: otherwise it would mark the running turn idle, and a kill would
   * end the process under it (its blocked call's result logged after `killed`).
   */
  turnsBegun = 0;

  /** A turn of it begins (or resumes after a restart): its number, for that turn's end to compare. */
  beginTurn(): number {
    this.inTurn = true;
    return ++this.turnsBegun;
  }
  private waker: ((reason: WakeReason) => void) | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly pcb: Pcb,
    readonly caps: CapabilitySet,
    /** pid of the root of this process's tree: IPC stays inside a tree. */
    readonly tree: number,
  ) {}

  get pid(): number {
    return this.pcb.pid;
  }

  /** Neither queued nor in a turn: nothing else would notice a kill. */
  get idle(): boolean {
    return !this.inTurn;
  }

  /**
   * Park until woken, timed out or killed; the caller sets state. `ready` and `timeout` settle in the
   * waker's stack and the process goes on from there (loop/calls.ts): a wake('ready') is its caller's
   * last step, a timeout a timer's. An interrupt comes mid-way through a kill: it settles after it.
   */
  park(spec: WaitSpec): Waking<WakeReason> {
    if (this.abort.signal.aborted) return Waking.of<WakeReason>('interrupt');
    const woken = new Waking<WakeReason>();
    this.pcb.wait = spec;
    this.parkedThisTurn = true;
    const onAbort = (): boolean => this.wake('interrupt');
    this.waker = (reason) => {
      this.abort.signal.removeEventListener('abort', onAbort);
      if (reason === 'interrupt') queueMicrotask(() => woken.resolve(reason));
      else woken.resolve(reason);
    };
    this.abort.signal.addEventListener('abort', onAbort, { once: true });
    this.deadlineTimer = setTimeout(() => this.wake('timeout'), Math.max(0, spec.deadline - Date.now()));
    return woken;
  }

  /** Returns false when the process was not parked. */
  wake(reason: WakeReason): boolean {
    const waker = this.waker;
    if (!waker) return false;
    this.waker = null;
    this.pcb.wait = null;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    waker(reason);
    return true;
  }

  dropNotices(kind: Notice['kind'], pid?: number): void {
    if (this.notices.length === 0) return;
    this.notices = this.notices.filter((n) => n.kind !== kind || (pid !== undefined && n.pid !== pid));
  }

  clearTimers(): void {
    for (const timer of this.timers.values()) if (timer.handle) clearTimeout(timer.handle);
    this.timers.clear();
    if (this.wallTimer) clearTimeout(this.wallTimer);
    this.wallTimer = null;
  }

  /** An ended process keeps its PCB only: what a parent's WAIT or `ps` may still ask of it. */
  release(): void {
    this.transcript = [];
    this.notices = [];
    this.mailbox.length = 0;
    this.stdin.length = 0;
    this.pending = null;
    this.storedPending = null;
    this.context = null;
    this.stdout = '';
  }

  private runtime(): Runtime {
    const p = this.pcb;
    const budget = { maxTokens: p.limits.maxTokens, maxCost: p.limits.maxCost, maxWallS: p.limits.maxWallS, contextTokens: p.limits.contextTokens };
    if (this.recordBroken) {
      const empty = { notices: [], stdout: '', noSyscallStreak: 0, identicalStreak: 0, lastSignature: '', timerSeq: this.timerSeq };
      return { ...empty, pending: null, budget, kill: this.killRequested };
    }
    const pending = this.pending
      ? { turn: this.pending.turn, next: this.pending.next, started: this.pending.started, replySeq: this.pending.replySeq }
      : this.storedPending;
    return {
      notices: this.notices,
      stdout: this.stdout,
      noSyscallStreak: this.noSyscallStreak,
      identicalStreak: this.identicalStreak,
      lastSignature: this.lastSignature,
      timerSeq: this.timerSeq,
      pending,
      promptTurn: this.promptTurn,
      crash: this.crash,
      kill: this.killRequested,
      budget,
      context: this.context,
      contextWarned: this.contextWarned,
    };
  }

  toRecord(): ProcessRecord {
    const p = this.pcb;
    const c = p.counters;
    const runtime = this.runtime();
    return {
      pid: p.pid,
      ppid: p.ppid,
      tree: this.tree,
      name: p.name,
      role: p.role,
      task: p.task,
      model: p.model,
      priority: p.priority,
      capabilities: JSON.stringify(p.capabilities),
      pipe_to: p.pipeTo,
      created_at: p.createdAt,
      started_at: p.startedAt,
      ended_at: p.endedAt,
      state: p.state,
      exit_code: p.exitCode,
      exit_reason: p.exitReason,
      output: p.output,
      turns: c.turns,
      syscalls: c.syscalls,
      prompt_tokens: c.promptTokens,
      output_tokens: c.outputTokens,
      cached_tokens: c.cachedTokens,
      cost: c.cost,
      max_turns: p.limits.maxTurns,
      wait: p.wait ? JSON.stringify(p.wait) : null,
      runtime: JSON.stringify(runtime),
    };
  }

  static fromRecord(r: ProcessRecord): Proc {
    const pcb = pcbFromRecord(r);
    const proc = new Proc(pcb, new CapabilitySet(pcb.capabilities), r.tree);
    const rt = JSON.parse(r.runtime) as Runtime;
    proc.notices = rt.notices;
    proc.legacyReaped = rt.reaped ?? [];
    proc.stdout = rt.stdout;
    proc.noSyscallStreak = rt.noSyscallStreak;
    proc.identicalStreak = rt.identicalStreak;
    proc.lastSignature = rt.lastSignature;
    proc.timerSeq = rt.timerSeq;
    proc.storedPending = rt.pending;
    proc.promptTurn = rt.promptTurn ?? -1;
    proc.crash = rt.crash ?? null;
    proc.killRequested = rt.kill ?? null;
    if (rt.budget) Object.assign(pcb.limits, rt.budget);
    proc.context = rt.context ?? null;
    proc.contextWarned = rt.contextWarned ?? false;
    return proc;
  }
}
