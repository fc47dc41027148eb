import { CapabilitySet } from '../../sys/capabilities.js';
import { pcbFromRecord } from './pcb-record.js';
import { parseRuntime, recordOf } from './proc-runtime.js';
import type { ProcessRecord } from '../store/api.js';
import type { KillRequest, Pcb, ProcCounters, ProcState, WaitSpec } from '../../sys/types.js';
import type { ContextStart, CrashCount, Entry, PendingTurn, StoredMessage, StoredPendingTurn, Timer } from './proc-types.js';
import { Waking } from '../../sys/waking.js';
import { Parking, type WakeReason } from './parking.js';
import type { Notice } from '../context/context.js';
import { isLadder, rungsOf } from '../../sys/ladder.js';
import { Routing } from './routing.js';

/** Proc's fields as its own methods write them; outside this file they are read-only. */
type Own = { -readonly [K in keyof Proc]: Proc[K] };
type OwnPcb = { -readonly [K in keyof Pcb]: Pcb[K] } & { counters: ProcCounters };

/**
 * A process's in-kernel runtime: its PCB plus the queues and the one wait it may be parked in (a
 * blocked or sleeping process holds no slot and spends no tokens: it is a parked promise).
 * The one writer of it (xv6's proc.c): every field is read-only outside this class, and each change
 * is a method named for what happened — a turn begins, a reply had no syscall, the context was
 * compacted, a kill was asked. Events and persisting around them are proc/lifecycle.ts's.
 */
export class Proc {
  readonly abort = new AbortController();
  readonly transcript: readonly Entry[] = [];
  readonly nextSeq: number = 0;
  readonly context: ContextStart | null = null;
  /** The context-size warning was given since the last compaction. */
  readonly contextWarned: boolean = false;
  readonly notices: readonly Notice[] = [];
  /** From an older store's runtime: children reaped before, which recovery must not count again. */
  readonly legacyReaped: readonly number[] = [];
  /** Ends the process when its wall-time budget runs out. */
  readonly wallTimer: NodeJS.Timeout | null = null;
  readonly timerSeq: number = 0;
  readonly stdout: string = '';
  /** Set by kill (killed, 137) or a crossed budget (exited, 1): the turn loop reaps it. Stored (kill.ts). */
  readonly killRequested: KillRequest | null = null;
  readonly exitRequested: { code: number; result: string | null } | null = null;
  readonly noSyscallStreak: number = 0;
  readonly lastSignature: string = '';
  readonly identicalStreak: number = 0;
  /** Set when a call parked during the current turn: waiting is not looping. */
  readonly parkedThisTurn: boolean = false;
  readonly pending: PendingTurn | null = null;
  /** Set by recovery from the store: the pending turn before its reply is parsed again. */
  readonly storedPending: StoredPendingTurn | PendingTurn | null = null;
  readonly promptTurn: number = -1;
  readonly crash: CrashCount | null = null;
  /** The system prompt, built on the first turn (it depends only on fields fixed at spawn). */
  readonly systemPrompt: string | undefined;
  /** Parked by the disk guard (blocked, reason `disk full`), not by a syscall. */
  readonly diskWait: boolean = false;
  /** Its runtime could not be stored once: from then on only the PCB is (the process is being ended). */
  readonly recordBroken: boolean = false;
  /** A turn (inference or calls) is running for this process: that turn will reap a kill. */
  readonly inTurn: boolean = false;
  /** Counts the turns begun (see endTurn). */
  readonly turnsBegun: number = 0;
  /** A model ladder's state (routing.ts): which rung the next turn runs on, and why; null on one model. */
  readonly routing: Routing | null;

  /** This process and its PCB, writable: for its own methods only. */
  private get own(): Own { return this as Own; }
  private get ownPcb(): OwnPcb { return this.pcb as OwnPcb; }

  /** A change of state (proc/lifecycle.ts setState emits it and persists). */
  enter(state: ProcState): void { this.ownPcb.state = state; }
  markStarted(): void { this.ownPcb.startedAt ??= Date.now(); }
  countTurn(): void { this.ownPcb.counters.turns++; }
  /** A laddered process's turn ran on `model` (the mix ps shows). */
  ranOn(model: string): void { const c = this.ownPcb.counters; c.models = { ...c.models, [model]: (c.models?.[model] ?? 0) + 1 }; }
  countSyscall(): void { this.ownPcb.counters.syscalls++; }

  /** A reply's usage, as the provider counted it, and its price. */
  charge(usage: { prompt: number; output: number; cached?: number }, cost: number): void {
    const c = this.ownPcb.counters;
    Object.assign(c, { promptTokens: c.promptTokens + usage.prompt, outputTokens: c.outputTokens + usage.output, cachedTokens: c.cachedTokens + (usage.cached ?? 0), cost: c.cost + cost });
  }

  /** It leaves the living (proc/lifecycle.ts finish): how, and what it hands a parent's WAIT. */
  ended(code: number, reason: string, output: string | null): void {
    Object.assign(this.ownPcb, { exitCode: code, exitReason: reason, endedAt: Date.now(), output, wait: null });
    this.own.pending = null;
  }

  /** A turn of it begins (or resumes after a restart): its number, for that turn's end to compare. */
  beginTurn(): number { this.own.inTurn = true; return ++this.own.turnsBegun; }

  /**
   * The turn numbered `begun` ended: false (nothing changes) when a newer turn of it has begun since.
   * A turn's last calls start the next turn before its own epilogue runs (next → makeReady → the
   * scheduler starts it at once): clearing `inTurn` then would mark the running turn idle, and a
   * kill would end the process under it (its blocked call's result logged after `killed`).
   */
  endTurn(begun: number): boolean {
    if (this.turnsBegun !== begun) return false;
    this.own.inTurn = false;
    return true;
  }

  /** The turn's first request was shown (its `prompt` event): once per turn, across restarts. */
  promptShown(turn: number): void { this.own.promptTurn = turn; }
  keepSystemPrompt(text: string): string { return (this.own.systemPrompt = text); }

  /** A reply without a syscall: the streak of such replies so far. */
  replyWithoutSyscall(): number { return ++this.own.noSyscallStreak; }

  /** A reply with calls: they become the pending turn. */
  startCalls(pending: PendingTurn): void {
    this.own.noSyscallStreak = 0;
    this.own.parkedThisTurn = false;
    this.own.pending = pending;
  }

  /** The pending turn is done, or restored after a restart. */
  setPending(pending: PendingTurn | null): void { this.own.pending = pending; }

  /** Recovery takes what the store had of the pending turn (once). */
  takeStoredPending(): StoredPendingTurn | PendingTurn | null {
    const stored = this.storedPending;
    this.own.storedPending = null;
    return stored;
  }

  /**
   * A turn ended with these calls and results (their hash): how many turns in a row were the same.
   * A turn that parked is waiting, not looping: it starts the count again.
   */
  repeatStreak(signature: string): number {
    if (this.parkedThisTurn) {
      this.own.identicalStreak = 0;
      this.own.lastSignature = '';
      return 0;
    }
    this.own.identicalStreak = signature === this.lastSignature ? this.identicalStreak + 1 : 1;
    this.own.lastSignature = signature;
    return this.identicalStreak;
  }

  /** A kernel crash during the turn and call `at`: the crashes counted there so far. */
  chargeCrash(at: string): number {
    this.own.crash = this.crash?.at === at ? { at, count: this.crash.count + 1 } : { at, count: 1 };
    return this.crash?.count ?? 1;
  }

  /** A transcript row was written: it joins the context. */
  appendEntry(role: Entry['role'], text: string): number {
    const seq = this.own.nextSeq++;
    (this.transcript as Entry[]).push({ role, text, seq });
    return seq;
  }

  /** The last entry's text was rewritten (notices joining the latest kernel message). */
  amendLast(text: string): Entry | undefined {
    const entry = this.transcript[this.transcript.length - 1];
    if (entry) entry.text = text;
    return entry;
  }

  /** The context after a restart: the stored rows from where it starts. */
  restoreTranscript(entries: Entry[]): void {
    this.own.transcript = entries;
    this.own.nextSeq = entries.reduce((max, e) => Math.max(max, e.seq), -1) + 1;
  }

  /** The context was compacted: it now starts at a summary, with some rows kept verbatim. */
  compacted(entries: Entry[], context: ContextStart): void {
    this.own.transcript = entries;
    this.own.context = context;
    this.own.contextWarned = false;
  }

  warnedOfContext(): void { this.own.contextWarned = true; }

  /** Notices for the next turn. */
  notify(notice: Notice): void { (this.notices as Notice[]).push(notice); }

  /** The notices that arrived since the last turn, which join its request. */
  takeNotices(): readonly Notice[] {
    const notices = this.notices;
    this.own.notices = [];
    return notices;
  }

  nextTimerId(): string { return `t${++this.own.timerSeq}`; }
  captureStdout(text: string, max: number): void {
    if (this.stdout.length < max) this.own.stdout = (this.stdout + text).slice(0, max);
  }

  requestKill(request: KillRequest): void { this.own.killRequested = request; }
  requestExit(code: number, result: string | null): void { this.own.exitRequested = { code, result }; }
  armWallTimer(timer: NodeJS.Timeout | null): void { this.own.wallTimer = timer; }

  /** Parked, or released, by the disk guard. */
  setDiskWait(waiting: boolean): void { this.own.diskWait = waiting; }

  /** Its runtime could not be stored: only its PCB will be. */
  markRecordBroken(): void { this.own.recordBroken = true; }

  private readonly parking = new Parking();
  private readonly mail: StoredMessage[] = [];
  private readonly input: Array<{ id: number; text: string }> = [];
  private readonly kids = new Set<number>();
  private readonly timerMap = new Map<string, Timer>();

  /** Messages waiting for RECV_MSG, and stdin for SYS_READ_STDIN (ipc/mailboxes.ts delivers and takes them). */
  get mailbox(): readonly StoredMessage[] { return this.mail; }
  get stdin(): ReadonlyArray<{ id: number; text: string }> { return this.input; }
  deliver(message: StoredMessage): void { this.mail.push(message); }
  feedStdin(line: { id: number; text: string }): void { this.input.push(line); }
  takeMail(): StoredMessage[] { return this.mail.splice(0); }
  takeStdin(): Array<{ id: number; text: string }> { return this.input.splice(0); }

  /** Children whose exit this process has not taken with WAIT: live ones, and ended ones (in the store). */
  get children(): ReadonlySet<number> { return this.kids; }
  adoptChild(pid: number): void { this.kids.add(pid); }
  forgetChild(pid: number): void { this.kids.delete(pid); }

  /** Its SYS_SCHEDULE timers (armed by ipc/mailboxes.ts). */
  get timers(): ReadonlyMap<string, Timer> { return this.timerMap; }
  setTimer(timer: Timer): void { this.timerMap.set(timer.id, timer); }
  dropTimer(id: string): void { this.timerMap.delete(id); }

  /** The pending turn's cursor (loop/calls.ts): a call started; its result line; on to the next call. */
  callStarted(): void { this.ownPending().started = true; }
  callAnswered(line: string): void { const p = this.ownPending(); p.started = false; p.lines.push(line); }
  nextCall(): void { this.ownPending().next++; }
  /** A line of the kernel message that ends the turn without a call of its own (calls cut by SYS_EXIT). */
  noteLine(line: string): void { this.ownPending().lines.push(line); }
  private ownPending(): { -readonly [K in keyof PendingTurn]: PendingTurn[K] } & { lines: string[] } {
    return this.pending as PendingTurn & { lines: string[] };
  }

  constructor(
    readonly pcb: Pcb,
    readonly caps: CapabilitySet,
    /** pid of the root of this process's tree: IPC stays inside a tree. */
    readonly tree: number,
  ) {
    this.routing = isLadder(pcb.model) ? new Routing(rungsOf(pcb.model)) : null;
  }

  get pid(): number { return this.pcb.pid; }

  /** Neither queued nor in a turn: nothing else would notice a kill. */
  get idle(): boolean { return !this.inTurn; }

  /** Park until woken, timed out or killed (parking.ts); the caller sets state. */
  park(spec: WaitSpec): Waking<WakeReason> {
    if (this.abort.signal.aborted) return Waking.of<WakeReason>('interrupt');
    this.ownPcb.wait = spec;
    this.own.parkedThisTurn = true;
    return this.parking.park(this.abort.signal, spec.deadline, () => (this.ownPcb.wait = null));
  }

  /** Returns false when the process was not parked; a wait restored from the store, no longer waited on, just ends. */
  wake(reason: WakeReason): boolean { return this.parking.wake(reason); }
  waitOver(): void { this.ownPcb.wait = null; }

  dropNotices(kind: Notice['kind'], pid?: number): void {
    if (this.notices.length === 0) return;
    this.own.notices = this.notices.filter((n) => n.kind !== kind || (pid !== undefined && n.pid !== pid));
  }

  clearTimers(): void {
    for (const timer of this.timerMap.values()) if (timer.handle) clearTimeout(timer.handle);
    this.timerMap.clear();
    if (this.wallTimer) clearTimeout(this.wallTimer);
    this.own.wallTimer = null;
  }

  /** An ended process keeps its PCB only: what a parent's WAIT or `ps` may still ask of it. */
  release(): void {
    const emptied: Partial<Own> = { transcript: [], notices: [], pending: null, storedPending: null, context: null, stdout: '' };
    Object.assign(this.own, emptied);
    this.mail.length = 0;
    this.input.length = 0;
  }

  toRecord(): ProcessRecord { return recordOf(this); }

  /** A live process from its stored row: PCB, capabilities and the runtime it had (proc-runtime.ts). */
  static fromRecord(r: ProcessRecord): Proc {
    const rt = parseRuntime(r.runtime);
    const pcb = { ...pcbFromRecord(r), cwd: rt.cwd ?? '/', unit: rt.unit ?? null, spawnKey: rt.spawnKey ?? null, ...(rt.threads ? { threads: rt.threads } : {}), ...(rt.fork ? { fork: rt.fork } : {}) };
    const proc = new Proc(pcb, new CapabilitySet(pcb.capabilities), r.tree);
    if (rt.budget) Object.assign(pcb.limits, rt.budget);
    const restored: Partial<Own> = {
      legacyReaped: rt.reaped ?? [], notices: rt.notices, stdout: rt.stdout, noSyscallStreak: rt.noSyscallStreak,
      identicalStreak: rt.identicalStreak, lastSignature: rt.lastSignature, timerSeq: rt.timerSeq, storedPending: rt.pending,
      promptTurn: rt.promptTurn ?? -1, crash: rt.crash ?? null, killRequested: rt.kill ?? null,
      context: rt.context ?? null, contextWarned: rt.contextWarned ?? false,
      routing: proc.routing && rt.routing ? new Routing(proc.routing.rungs, rt.routing) : proc.routing,
    };
    Object.assign(proc.own, restored);
    return proc;
  }
}
