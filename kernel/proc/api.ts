/**
 * The process API (xv6's defs.h): what the turn loop, recovery, IPC, retention and the syscall
 * services ask of the kernel — one narrow interface instead of the whole Kernel class. The
 * composition root (kernel.ts) implements it; the proc/ modules implement its parts as functions
 * over `ProcCore`, so each can be exercised without a whole kernel.
 */
import type { ModelUsage } from '../../drivers/llm/types.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { DiskGuard } from './disk-guard.js';
import type { Store } from '../store/store.js';
import type { Pcb, ProcState, WaitSpec } from '../../sys/types.js';
import type { EventBus } from '../../protocol/events.js';
import type { Proc, WakeReason } from './proc.js';
import type { Notice } from '../context/context.js';
import type { ProcTable } from './table.js';
import type { Waking } from '../../sys/waking.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface ProcessApi {
  readonly events: EventBus;
  readonly store: Store;
  readonly table: ProcTable;
  readonly disk: DiskGuard;
  /** Set by close(): nothing more is started, written or run. */
  readonly closing: boolean;
  log(level: LogLevel, message: string): void;
  proc(pid: number): Proc | undefined;
  endedPcb(pid: number): Pcb | undefined;
  persist(proc: Proc): void;
  /** Returns the new row's seq. */
  appendTranscript(proc: Proc, role: 'user' | 'model', text: string): number;
  amendTranscript(proc: Proc, text: string): void;
  setState(proc: Proc, to: ProcState, extra?: { reason?: string; code?: number }): void;
  park(proc: Proc, spec: WaitSpec): Waking<WakeReason>;
  notify(proc: Proc, notice: Notice): void;
  makeReady(proc: Proc): void;
  finish(proc: Proc, state: 'exited' | 'killed', code: number, reason: string, result?: string | null): void;
  reap(parent: Proc, childPid: number): void;
  account(proc: Proc, usage: ModelUsage | undefined): void;
  budgetExceeded(proc: Proc): string | null;
  endForBudget(proc: Proc, reason: string): void;
  endForKernelError(proc: Proc, error: unknown): void;
  armWallTimer(proc: Proc): void;
  /** Before a call with host side effects: everything the process did so far is committed. */
  commitBarrier(proc: Proc): Promise<void>;
}

/** What the proc/ modules work on: the process API plus the run queue and the webhook routes' end. */
export interface ProcCore extends ProcessApi {
  readonly scheduler: Pick<Scheduler, 'enqueue' | 'remove' | 'forget'>;
  /** The process's webhook routes answer 410 from now on. */
  processEnded(pid: number): void;
}
