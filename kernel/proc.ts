/**
 * A process's in-kernel runtime: its PCB plus the queues and the one wait it may be parked in.
 * A blocked or sleeping process holds no slot and spends no tokens: it is a parked promise.
 */
import type { ModelMessage } from '../drivers/llm/types.js';
import type { InboxMessage } from '../syscalls/services.js';
import type { CapabilitySet } from './capabilities.js';
import type { Pcb, WaitSpec } from './types.js';

export type WakeReason = 'ready' | 'timeout' | 'interrupt';

/** Something that happened while the process was busy; shown at the top of its next turn. */
export interface Notice {
  kind: 'message' | 'stdin' | 'child_exit' | 'timer';
  /** The pid the notice is about (sender, child), for de-duplication when a call consumes it. */
  pid?: number;
  text: string;
}

export interface Timer {
  id: string;
  handle: NodeJS.Timeout;
  repeat: boolean;
}

export class Proc {
  readonly abort = new AbortController();
  readonly transcript: ModelMessage[] = [];
  readonly mailbox: InboxMessage[] = [];
  readonly stdin: string[] = [];
  notices: Notice[] = [];
  readonly children = new Set<number>();
  readonly reaped = new Set<number>();
  readonly timers = new Map<string, Timer>();
  timerSeq = 0;
  stdout = '';
  killRequested: { reason: string } | null = null;
  exitRequested: { code: number; result: string | null } | null = null;
  noSyscallStreak = 0;
  lastSignature = '';
  identicalStreak = 0;
  /** Set when a call parked during the current turn: waiting is not looping. */
  parkedThisTurn = false;
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

  get parked(): boolean {
    return this.waker !== null;
  }

  /** Park until woken, the deadline passes, or the process is killed. The caller sets state. */
  park(spec: WaitSpec): Promise<WakeReason> {
    if (this.abort.signal.aborted) return Promise.resolve('interrupt');
    this.pcb.wait = spec;
    this.parkedThisTurn = true;
    return new Promise<WakeReason>((resolve) => {
      const onAbort = (): void => {
        this.wake('interrupt');
      };
      this.waker = (reason) => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve(reason);
      };
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
      const delay = Math.max(0, spec.deadline - Date.now());
      this.deadlineTimer = setTimeout(() => this.wake('timeout'), delay);
    });
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
    for (const timer of this.timers.values()) clearTimeout(timer.handle);
    this.timers.clear();
  }
}
