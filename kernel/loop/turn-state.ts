/**
 * The turn's state of one process, the loop's part of it (issue 48.3): its context (the transcript
 * the model sees, where it starts after a compaction, the warning given), the pending calls of its
 * latest reply and how far they got, the streaks that end a looping process, the prompt shown and
 * the system prompt, the kernel crashes counted against its turn. This class is its one writer:
 * every field is read-only outside it, each change a method named for what happened.
 *
 * The Proc holds it (proc/turn-part.ts) so that the process's row stores it; the loop persists it:
 * its fields in that row (storeIn, restored), its transcript as rows of their own (below).
 */
import type { ModelDriver } from '../../drivers/llm/types.js';
import type { Pcb } from '../../sys/types.js';
import type { KernelStore, ProcessRecord } from '../store/api.js';
import type { ContextStart, Entry } from '../proc/proc-types.js';
import type { Proc } from '../proc/proc.js';
import { seqAfter, type TurnPart, TurnSeed } from '../proc/turn-part.js';
import type { CrashCount, PendingTurn, StoredPendingTurn, TurnRuntime } from './turn-types.js';

type Own = { -readonly [K in keyof TurnState]: TurnState[K] };
type OwnPending = { -readonly [K in keyof PendingTurn]: PendingTurn[K] } & { lines: string[] };

export class TurnState implements TurnPart {
  readonly transcript: readonly Entry[] = [];
  readonly nextSeq: number = 0;
  readonly context: ContextStart | null = null;
  /** The context-size warning was given since the last compaction. */
  readonly contextWarned: boolean = false;
  readonly noSyscallStreak: number = 0;
  readonly lastSignature: string = '';
  readonly identicalStreak: number = 0;
  readonly pending: PendingTurn | null = null;
  /** Set by recovery from the store: the pending turn before its reply is parsed again. */
  readonly storedPending: StoredPendingTurn | PendingTurn | null = null;
  readonly promptTurn: number = -1;
  readonly crash: CrashCount | null = null;
  /** The system prompt, built on the first turn (it depends only on fields fixed at spawn). */
  readonly systemPrompt: string | undefined;
  /** The driver the last turn ran on, and its model (not stored: a restart asks the registry again). */
  private ranOn: ModelDriver | undefined;
  private ranOnModel = '';

  private get own(): Own {
    return this as Own;
  }

  /** The turn's first request was shown (its `prompt` event): once per turn, across restarts. */
  promptShown(turn: number): void {
    this.own.promptTurn = turn;
  }
  keepSystemPrompt(text: string): string {
    return (this.own.systemPrompt = text);
  }

  /**
   * The driver of `model` the last turn ran on, while its source is unchanged (a replay tape edited
   * since is not): a turn asks the model registry only for a process's first turn, a new model, or
   * a changed source.
   */
  driverFor(model: string): ModelDriver | undefined {
    const driver = this.ranOn;
    return driver !== undefined && this.ranOnModel === model && driver.stale?.() !== true ? driver : undefined;
  }
  ranOnDriver(model: string, driver: ModelDriver): ModelDriver {
    this.ranOnModel = model;
    return (this.ranOn = driver);
  }

  /** A reply without a syscall: the streak of such replies so far. */
  replyWithoutSyscall(): number {
    return ++this.own.noSyscallStreak;
  }

  /** A reply with calls: they become the pending turn. */
  startCalls(pending: PendingTurn): void {
    this.own.noSyscallStreak = 0;
    this.own.pending = pending;
  }

  /** The pending turn is done, or restored after a restart. */
  setPending(pending: PendingTurn | null): void {
    this.own.pending = pending;
  }

  /** Recovery takes what the store had of the pending turn (once). */
  takeStoredPending(): StoredPendingTurn | PendingTurn | null {
    const stored = this.storedPending;
    this.own.storedPending = null;
    return stored;
  }

  /** The pending turn's cursor (calls.ts): a call started; its result line; on to the next call. */
  callStarted(): void {
    this.ownPending().started = true;
  }
  callAnswered(line: string): void {
    const p = this.ownPending();
    p.started = false;
    p.lines.push(line);
  }
  nextCall(): void {
    this.ownPending().next++;
  }
  /** A line of the kernel message that ends the turn without a call of its own (calls cut by SYS_EXIT). */
  noteLine(line: string): void {
    this.ownPending().lines.push(line);
  }
  private ownPending(): OwnPending {
    return this.pending as OwnPending;
  }

  /**
   * A turn ended with these calls and results (their hash): how many turns in a row were the same.
   * A turn that parked (`parked`: the Proc's parkedThisTurn) is waiting, not looping: it starts the count again.
   */
  repeatStreak(signature: string, parked: boolean): number {
    if (parked) {
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

  /** The context after a restart, or as a spawn began it: the stored rows from where it starts. */
  restoreTranscript(entries: Entry[]): void {
    this.own.transcript = entries;
    this.own.nextSeq = seqAfter(entries);
  }

  /** The context was compacted: it now starts at a summary, with some rows kept verbatim. */
  compacted(entries: Entry[], context: ContextStart): void {
    this.own.transcript = entries;
    this.own.context = context;
    this.own.contextWarned = false;
  }

  warnedOfContext(): void {
    this.own.contextWarned = true;
  }

  /** Its fields of the process's row, written into it (proc/proc-runtime.ts runtimeOf). */
  storeIn(rt: TurnRuntime): void {
    const p = this.pending;
    rt.noSyscallStreak = this.noSyscallStreak;
    rt.identicalStreak = this.identicalStreak;
    rt.lastSignature = this.lastSignature;
    rt.pending = p ? { turn: p.turn, next: p.next, started: p.started, replySeq: p.replySeq } : this.storedPending;
    rt.promptTurn = this.promptTurn;
    rt.crash = this.crash;
    rt.context = this.context;
    rt.contextWarned = this.contextWarned;
  }

  /** The process ended: no call is pending (its result rows go). */
  exit(store: KernelStore, pid: number): void {
    this.own.pending = null;
    store.transcripts.clearResults(pid);
  }

  release(): void {
    Object.assign(this.own, { transcript: [], pending: null, storedPending: null, context: null });
    this.ranOn = undefined;
  }

  /** At its first turn: the context its spawn began it with (a part that is not a seed begins empty). */
  static begin(part: TurnPart): TurnState {
    const state = new TurnState();
    if (!(part instanceof TurnSeed)) return state;
    state.restoreTranscript([...part.entries]);
    if (part.context) state.compacted(state.transcript as Entry[], part.context);
    return state;
  }

  /** After a restart, from the row (the transcript is loaded after: recovery.ts). */
  static restored(rt: Partial<TurnRuntime>): TurnState {
    const state = new TurnState();
    const restored: Partial<Own> = {
      noSyscallStreak: rt.noSyscallStreak ?? 0,
      identicalStreak: rt.identicalStreak ?? 0,
      lastSignature: rt.lastSignature ?? '',
      storedPending: rt.pending ?? null,
      promptTurn: rt.promptTurn ?? -1,
      crash: rt.crash ?? null,
      context: rt.context ?? null,
      contextWarned: rt.contextWarned ?? false,
    };
    Object.assign(state.own, restored);
    return state;
  }
}

/** The loop's part of this process: taken from what its spawn began it with at the first turn. */
export function turnOf(proc: Proc): TurnState;
export function turnOf(proc: Proc | undefined): TurnState | undefined;
export function turnOf(proc: Proc | undefined): TurnState | undefined {
  if (!proc) return undefined;
  const part = proc.turnPart;
  return part instanceof TurnState ? part : proc.holdTurn(TurnState.begin(part));
}

/** Where a stored process's context starts (a fork's origin: kernel/fork.ts). */
export function storedContext(record: Pick<ProcessRecord, 'runtime'>): ContextStart | null {
  return (JSON.parse(record.runtime) as Partial<TurnRuntime>).context ?? null;
}

/** A transcript row: stored, and in the context. */
export function appendTranscript(store: KernelStore, proc: Proc, role: 'user' | 'model', text: string): number {
  const seq = turnOf(proc).appendEntry(role, text);
  store.transcripts.put(proc.pid, seq, role, text);
  return seq;
}

/** Rewrite the last transcript entry (notices joining the latest kernel message). */
export function amendTranscript(store: KernelStore, proc: Proc, text: string): void {
  const entry = turnOf(proc).amendLast(text);
  if (!entry) return;
  store.transcripts.put(proc.pid, entry.seq, entry.role, text);
}

/**
 * A process's stored transcript from `fromSeq` on: a fork's begins with the rows it refers to (each
 * segment's process's rows up to its `through`), then its own.
 */
export async function storedTranscript(
  store: KernelStore,
  pcb: Pick<Pcb, 'pid' | 'fork'>,
  fromSeq = 0,
): Promise<Entry[]> {
  const referred: Entry[] = [];
  for (const segment of pcb.fork?.segments ?? []) {
    if (segment.through < fromSeq) continue;
    referred.push(...(await store.transcripts.load(segment.pid, fromSeq)).filter((r) => r.seq <= segment.through));
  }
  return [...referred, ...(await store.transcripts.load(pcb.pid, fromSeq))];
}
