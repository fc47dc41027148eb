/**
 * What the proc/ modules work on (xv6's defs.h, its data half): the process table, the store, the
 * event bus, the run queue, the disk guard. The lifecycle is functions over it — setState, park,
 * makeReady, finish, reap in lifecycle.ts; kill and the budgets' ends in kill.ts; persist in
 * proc-runtime.ts — which callers import and call directly: one hop from a call site to the code
 * that changes a process. The composition root (kernel.ts) is one. (Notices are ipc's:
 * ipc/queues.ts notify; the transcript is the loop's: loop/turn-state.ts.)
 */
import type { Scheduler } from '../sched/scheduler.js';
import type { DiskGuard } from './disk-guard.js';
import type { KernelStore } from '../store/api.js';
import type { EventBus } from '../../protocol/events.js';
import type { ProcTable } from './table.js';
import type { Proc } from './proc.js';
import type { LadderRules } from '../sched/ladder.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface ProcCore {
  readonly events: EventBus;
  readonly store: KernelStore;
  readonly table: ProcTable;
  readonly disk: DiskGuard;
  readonly scheduler: Pick<Scheduler, 'enqueue' | 'remove' | 'forget'>;
  /** Set by close(): nothing more is started, written or run. */
  readonly closing: boolean;
  log(level: LogLevel, message: string): void;
  /** The process's webhook routes answer 410 from now on. */
  processEnded(pid: number): void;
  /** The fraction of the tightest budget over this process left (null: none applies); a ladder steps down when it is low. */
  headroom?(proc: Proc): number | null;
  /**
   * What a child's output is in its parent's [EVENT::CHILD_EXIT] notice: a tainted writer's is framed
   * as outside content and taints the parent (safety.ts childExit), however the child ended.
   */
  childOutput?(parent: Proc, child: Proc, output: string): string;
  /** How a ladder climbs and holds (the policy's `models` section), the defaults when absent. */
  readonly ladderRules?: LadderRules;
}
