/**
 * The process API (proc/api.ts) and the process table's views as the kernel implements them:
 * each member hands the call to the module that owns it. Kernel (kernel.ts) extends this class
 * with the composition — what each abstract member below is.
 */
import type { ModelRegistry } from '../drivers/llm/registry.js';
import type { ModelUsage } from '../drivers/llm/types.js';
import type { TapeReader } from '../drivers/llm/workspace-tapes.js';
import type { SpawnRequest } from '../syscalls/services.js';
import type { Mailboxes } from './ipc/mailboxes.js';
import type { Webhooks } from './ipc/webhooks.js';
import type { LogLevel } from './proc/api.js';
import { account, armWallTimer, budgetExceeded } from './proc/budgets.js';
import type { CapabilitySet } from './proc/capabilities.js';
import { endForBudget, endForKernelError, kill } from './proc/kill.js';
import { finish, makeReady, notify, park, reap, setState, waitExit } from './proc/lifecycle.js';
import type { Proc, WakeReason } from './proc/proc.js';
import type { Notice } from './context/context.js';
import { type SpawnCore, type SpawnOptions, spawnChild, spawnRoot } from './proc/spawn.js';
import type { ProcTable } from './proc/table.js';
import { amendTranscript, appendTranscript, persist } from './proc/transcript.js';
import type { Scheduler } from './sched/scheduler.js';
import type { DiskGuard } from './proc/disk-guard.js';
import type { Store } from './store/store.js';
import type { Pcb, ProcState, WaitSpec } from '../sys/types.js';
import type { EventBus, KernelEvent } from '../protocol/events.js';
import { RawJson } from '../protocol/raw-json.js';
import type { Waking } from '../sys/waking.js';
import type { ProcRow } from '../protocol/views.js';

export abstract class KernelApi implements SpawnCore {
  abstract readonly events: EventBus;
  abstract readonly store: Store;
  abstract readonly table: ProcTable;
  abstract readonly disk: DiskGuard;
  abstract readonly scheduler: Scheduler;
  abstract readonly mailboxes: Mailboxes;
  abstract readonly webhooks: Webhooks;
  abstract readonly models: ModelRegistry;
  abstract readonly tapes: TapeReader;
  abstract readonly rootCaps: CapabilitySet;
  abstract readonly cwd: string;
  abstract readonly defaultModel: string | undefined;
  abstract readonly closing: boolean;
  abstract log(level: LogLevel, message: string): void;

  // ---- the process table ----
  proc = (pid: number): Proc | undefined => this.table.get(pid);
  endedPcb = (pid: number): Pcb | undefined => this.table.endedPcb(pid);
  pcb = (pid: number): Pcb | undefined => this.table.pcb(pid);
  list = (): Pcb[] => this.table.list();
  processes = (options: { all?: boolean; last?: number } = {}): ProcRow[] => this.table.rows(options);
  /** `processes()` of the live ones as JSON, for the wire: rows that did not change are not serialised again. */
  liveProcessesJson = (): RawJson<ProcRow[]> => new RawJson(this.table.liveRowsJson());
  tree = (pid: number, options: { tree?: boolean } = {}): ProcRow[] => this.table.tree(pid, options);
  history = (pid: number, options: { tail?: number; tree?: boolean } = {}): KernelEvent[] => this.table.history(pid, options);
  waitExit = (pid: number): Promise<Pcb> => waitExit(this, pid);

  // ---- the process API (proc/api.ts) ----
  spawn = (options: SpawnOptions): Promise<Pcb> => spawnRoot(this, options);
  spawnChild = (parent: Proc, request: SpawnRequest): Pcb | Promise<Pcb> => spawnChild(this, parent, request);
  kill = (pid: number, options: { tree?: boolean } = {}): number[] => kill(this, pid, options);
  persist = (proc: Proc): void => persist(this.store, proc);
  appendTranscript = (proc: Proc, role: 'user' | 'model', text: string): number => appendTranscript(this.store, proc, role, text);
  amendTranscript = (proc: Proc, text: string): void => amendTranscript(this.store, proc, text);
  setState = (proc: Proc, to: ProcState, extra: { reason?: string; code?: number } = {}): void => setState(this, proc, to, extra);
  park = (proc: Proc, spec: WaitSpec): Waking<WakeReason> => park(this, proc, spec);
  notify = (proc: Proc, notice: Notice): void => notify(this, proc, notice);
  makeReady = (proc: Proc): void => makeReady(this, proc);
  finish = (proc: Proc, state: 'exited' | 'killed', code: number, reason: string, result: string | null = null): void =>
    finish(this, proc, state, code, reason, result);
  reap = (parent: Proc, childPid: number): void => reap(this, parent, childPid);
  account = (proc: Proc, usage: ModelUsage | undefined): void => account(proc, usage);
  budgetExceeded = (proc: Proc): string | null => budgetExceeded(proc);
  endForBudget = (proc: Proc, reason: string): void => endForBudget(this, proc, reason);
  endForKernelError = (proc: Proc, error: unknown): void => endForKernelError(this, proc, error);
  armWallTimer = (proc: Proc): void => armWallTimer(this, proc);
  commitBarrier = (proc: Proc): Promise<void> => this.disk.commit(proc);
  processEnded = (pid: number): void => this.webhooks.processEnded(pid);
  liveTarget = (from: Proc, pid: number, verb: string): Proc => this.mailboxes.liveTarget(from, pid, verb);
  forgetEnded: ProcTable['forgetEnded'] = (rows) => this.table.forgetEnded(rows);
}
