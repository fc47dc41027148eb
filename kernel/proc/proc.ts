import { costOf } from '../../drivers/llm/prices.js';
import type { ModelUsage } from '../../drivers/llm/types.js';
import { CapabilitySet } from '../../sys/capabilities.js';
import { pcbFromRecord } from './pcb-record.js';
import { parseRuntime, recordOf } from './proc-runtime.js';
import type { ProcessRecord } from '../store/api.js';
import type { KillRequest, Pcb, ProcCounters, ProcState, WaitSpec } from '../../sys/types.js';
import { Waking } from '../../sys/waking.js';
import { Parking, type WakeReason } from './parking.js';
import { Queues } from '../ipc/queues.js';
import { isLadder, rungsOf } from '../../sys/ladder.js';
import { Routing } from './routing.js';
import { type TurnPart, TurnSeed } from './turn-part.js';
import { TaintState } from '../../sys/taint.js';

/** Proc's fields as its own methods write them; outside this file they are read-only. */
type Own = { -readonly [K in keyof Proc]: Proc[K] };
type OwnPcb = { -readonly [K in keyof Pcb]: Pcb[K] } & { counters: ProcCounters };

/** Until spawn or recovery gives it one: a part that stores nothing. */
const NO_TURN = new TurnSeed([], null);

/**
 * A process in the kernel, split by owner (issue 48.3). This class is its PCB and its lifecycle:
 * state, counters, children, the one wait it may be parked in (a blocked or sleeping process holds
 * no slot and spends no tokens: it is a parked promise), the kill or exit asked, its budgets'
 * timer, its model ladder. It holds two parts others own: its queues (`queues`, ipc/queues.ts) and
 * its turn's state (`turnPart`, the loop's: loop/turn-state.ts). Each part has one writer — for
 * this one, this class (xv6's proc.c): every field is read-only outside it, and each change is a
 * method named for what happened. Events and persisting around them are proc/lifecycle.ts's; the
 * row stores every part, each as its owner says it (proc-runtime.ts).
 */
export class Proc {
  readonly abort = new AbortController();
  /** From an older store's runtime: children reaped before, which recovery must not count again. */
  readonly legacyReaped: readonly number[] = [];
  /** Ends the process when its wall-time budget runs out. */
  readonly wallTimer: NodeJS.Timeout | null = null;
  /** Set by kill (killed, 137) or a crossed budget (exited, 1): the turn loop reaps it. Stored (kill.ts). */
  readonly killRequested: KillRequest | null = null;
  readonly exitRequested: { code: number; result: string | null } | null = null;
  /** Set when a call parked during the current reply's calls: waiting is not looping, and a ladder reads it. */
  readonly parkedThisTurn: boolean = false;
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
  /** The turn's state, the loop's (loop/turn-state.ts turnOf): until its first turn, what its spawn began it with. */
  readonly turnPart: TurnPart;
  /** Whether its context holds content from outside the operator, and from where (issue 49): its own writer, stored in its row. */
  readonly taint: TaintState = new TaintState();

  /** This process and its PCB, writable: for its own methods only. */
  private get own(): Own {
    return this as Own;
  }
  private get ownPcb(): OwnPcb {
    return this.pcb as OwnPcb;
  }

  /** A change of state (proc/lifecycle.ts setState emits it and persists). */
  enter(state: ProcState): void {
    this.ownPcb.state = state;
  }
  markStarted(): void {
    this.ownPcb.startedAt ??= Date.now();
  }
  countTurn(): void {
    this.ownPcb.counters.turns++;
  }
  /** A laddered process's turn ran on `model` (the mix ps shows). */
  ranOn(model: string): void {
    const c = this.ownPcb.counters;
    c.models = { ...c.models, [model]: (c.models?.[model] ?? 0) + 1 };
  }
  countSyscall(): void {
    this.ownPcb.counters.syscalls++;
  }

  /** A reply's usage, as the provider counted it (never guessed), priced at the rates of `model`, the one that answered (a ladder's rung). */
  charge(usage: ModelUsage, model: string): void {
    const c = this.ownPcb.counters;
    Object.assign(c, {
      promptTokens: c.promptTokens + usage.prompt,
      outputTokens: c.outputTokens + usage.output,
      cachedTokens: c.cachedTokens + (usage.cached ?? 0),
      cost: c.cost + costOf(model, usage),
    });
  }

  /** The reason it has crossed its token or cost budget, if it has (its wall time is its timer's: budgets.ts). */
  overBudget(): string | null {
    const { counters: c, limits } = this.pcb;
    const tokens = c.promptTokens + c.outputTokens;
    if (limits.maxTokens !== null && tokens > limits.maxTokens)
      return `token budget exhausted (${tokens} of ${limits.maxTokens} tokens used)`;
    if (limits.maxCost !== null && c.cost > limits.maxCost)
      return `cost budget exhausted ($${c.cost.toFixed(4)} of $${limits.maxCost})`;
    return null;
  }

  /** It leaves the living (proc/lifecycle.ts finish): how, and what it hands a parent's WAIT. */
  ended(code: number, reason: string, output: string | null): void {
    Object.assign(this.ownPcb, { exitCode: code, exitReason: reason, endedAt: Date.now(), output, wait: null });
  }

  /** A turn of it begins (or resumes after a restart): its number, for that turn's end to compare. */
  beginTurn(): number {
    this.own.inTurn = true;
    return ++this.own.turnsBegun;
  }

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

  /** A reply's calls begin (loop/turn.ts): a wait from now on is theirs. */
  callsBegin(): void {
    this.own.parkedThisTurn = false;
  }

  /** The loop's part: the turn's state it took at the first turn, or restored after a restart (loop/turn-state.ts). */
  holdTurn<T extends TurnPart>(part: T): T {
    this.own.turnPart = part;
    return part;
  }

  requestKill(request: KillRequest): void {
    this.own.killRequested = request;
  }
  requestExit(code: number, result: string | null): void {
    this.own.exitRequested = { code, result };
  }
  armWallTimer(timer: NodeJS.Timeout | null): void {
    this.own.wallTimer = timer;
  }

  /** Parked, or released, by the disk guard. */
  setDiskWait(waiting: boolean): void {
    this.own.diskWait = waiting;
  }

  /** Its runtime could not be stored: only its PCB will be. */
  markRecordBroken(): void {
    this.own.recordBroken = true;
  }

  private readonly parking = new Parking();
  private readonly kids = new Set<number>();

  /** Children whose exit this process has not taken with WAIT: live ones, and ended ones (in the store). */
  get children(): ReadonlySet<number> {
    return this.kids;
  }
  adoptChild(pid: number): void {
    this.kids.add(pid);
  }
  forgetChild(pid: number): void {
    this.kids.delete(pid);
  }

  constructor(
    readonly pcb: Pcb,
    readonly caps: CapabilitySet,
    /** pid of the root of this process's tree: IPC stays inside a tree. */
    readonly tree: number,
    /** Its mailbox, stdin, stdout, timers and notices: ipc's part (ipc/queues.ts), its one writer. */
    readonly queues: Queues = new Queues(),
    /** What its spawn began it with (its first rows), for the loop to take at the first turn. */
    seed: TurnSeed = NO_TURN,
  ) {
    this.routing = isLadder(pcb.model) ? new Routing(rungsOf(pcb.model)) : null;
    this.turnPart = seed;
  }

  get pid(): number {
    return this.pcb.pid;
  }

  /** Neither queued nor in a turn: nothing else would notice a kill. */
  get idle(): boolean {
    return !this.inTurn;
  }

  /** Park until woken, timed out or killed (parking.ts); the caller sets state. */
  park(spec: WaitSpec): Waking<WakeReason> {
    if (this.abort.signal.aborted) return Waking.of<WakeReason>('interrupt');
    this.ownPcb.wait = spec;
    this.own.parkedThisTurn = true;
    return this.parking.park(this.abort.signal, spec.deadline, () => (this.ownPcb.wait = null));
  }

  /** Returns false when the process was not parked; a wait restored from the store, no longer waited on, just ends. */
  wake(reason: WakeReason): boolean {
    return this.parking.wake(reason);
  }
  waitOver(): void {
    this.ownPcb.wait = null;
  }

  /** Nothing of it ticks any more: its SYS_SCHEDULE timers (ipc's) and its wall-time budget. */
  clearTimers(): void {
    this.queues.stopTimers();
    if (this.wallTimer) clearTimeout(this.wallTimer);
    this.own.wallTimer = null;
  }

  /** An ended process keeps its PCB only: what a parent's WAIT or `ps` may still ask of it. */
  release(): void {
    this.turnPart.release();
    this.queues.release();
  }

  toRecord(): ProcessRecord {
    return recordOf(this);
  }

  /**
   * A live process from its stored row: PCB, capabilities, what it had asked and its queues
   * (proc-runtime.ts). The loop's part is the loop's to restore (loop/recovery.ts holdTurn).
   */
  static fromRecord(r: ProcessRecord): Proc {
    const rt = parseRuntime(r.runtime);
    const pcb = {
      ...pcbFromRecord(r),
      cwd: rt.cwd ?? '/',
      unit: rt.unit ?? null,
      spawnKey: rt.spawnKey ?? null,
      ...(rt.threads ? { threads: rt.threads } : {}),
      ...(rt.fork ? { fork: rt.fork } : {}),
    };
    const proc = new Proc(pcb, new CapabilitySet(pcb.capabilities), r.tree, Queues.restored(rt));
    if (rt.budget) Object.assign(pcb.limits, rt.budget);
    const restored: Partial<Own> = {
      legacyReaped: rt.reaped ?? [],
      killRequested: rt.kill ?? null,
      routing: proc.routing && rt.routing ? new Routing(proc.routing.rungs, rt.routing) : proc.routing,
      taint: TaintState.restored(rt.taint),
    };
    Object.assign(proc.own, restored);
    return proc;
  }
}
