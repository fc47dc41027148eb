/**
 * What the turn loop needs beyond the process API: the run queue, the model pool, the model drivers,
 * a process's drivers, and the chain its model requests go through (model-chain.ts runs it and
 * holds its table; what the chain needs of the kernel — privacy rules, budgets, threads — is the
 * table's), and the one around its syscalls (call-chain.ts; kernel/safety/call-interceptors.ts
 * builds it). Below: what a model interceptor is, declared here so that the interceptors and the
 * chain's table, which imports them, both read it.
 */
import type { CallChain } from './call-chain.js';
import type { ModelRegistry } from '../../drivers/llm/registry.js';
import type { ModelDriver, ModelReply, ModelRequest } from '../../drivers/llm/types.js';
import type { LiveText } from '../../protocol/live-text.js';
import type { ProcessDrivers } from '../../sys/driver-api.js';
import type { ProcessServices } from '../../syscalls/services.js';
import type { ProcCore } from '../proc/api.js';
import type { Proc } from '../proc/proc.js';
import type { Lease, ModelPool } from '../sched/model-pool.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { Budgets } from '../cost/budgets.js';

export interface LoopHost extends ProcCore {
  readonly scheduler: Scheduler;
  readonly pool: ModelPool;
  readonly models: ModelRegistry;
  /** Replies as they are written, for watchers. */
  readonly live: LiveText;
  /** The kernel as one process's syscalls see it (after a restart, a blocking call resumes with its old deadline). */
  services(proc: Proc, resumeDeadline: number | null): ProcessServices;
  /** The drivers scoped to one process (its workspace view, capabilities and kill signal). */
  drivers(proc: Proc): ProcessDrivers;
  /** The system prompt's part on the MCP tools this process may call ('' when none, without waiting), secrets masked. */
  mcpReference(proc: Proc): string | Promise<string>;
  /** Whether a thread entry is outside content (a channel's message, a tainted writer's): a summary folding it in is too. */
  threadEntryOutside?(entry: { pid: number; kind: string; ts: string }): boolean;
  /** A system prompt with every form of the policy's secrets masked (kernel/safety/prompt-mask.ts). */
  maskPrompt(text: string): string;
  /** Every model request goes through it: a turn's, a summary's (model-chain.ts, whose table lists what it holds). */
  readonly modelChain: ModelRequests;
  /** The interceptors installed around every syscall, outermost first (kernel/safety/call-interceptors.ts lists them). */
  readonly callChain: CallChain;
  /** Approvals (kernel/safety/approvals.ts): a restart settles, with `reason`, a request asked mid-run whose command it cut. */
  readonly safety?: { readonly approvals: { cutByRestart(proc: Proc, id: string, reason: string): void } };
  /** Stdin lines (by id) the turn's notices show the model (Mailboxes.shown). */
  stdinShown?(pid: number, ids: readonly number[]): void;
  /** Budgets over time, for a turn one refused: the process waits for it (budget-pause.ts; requests reserve and settle in budget-guard.ts). */
  readonly budgets?: Pick<Budgets, 'pausedOn' | 'forget' | 'waitForRoom' | 'emit'>;
}

/** What a request is for: a turn, the summary of a compaction or of a thread, an eval's turn. */
export type ModelPurpose = 'turn' | 'compaction' | 'thread-summary' | 'eval';

/** One model request on its way out. */
export interface ModelCall {
  readonly purpose: ModelPurpose;
  /** Who pays: the process it is for (the budgets over it, its lineage), or null (an eval: the kernel's budgets count it). */
  readonly payer: Proc | null;
  readonly model: string;
  /** `model`'s driver (an interceptor that changes the model changes it too). */
  readonly driver: ModelDriver;
  readonly request: ModelRequest;
}

/** Sends a request on, to the next interceptor or, after the last, to the model pool. */
export type SendModel = (call: ModelCall) => Promise<ModelReply>;

/** What a turn's preparation works on. */
export interface TurnPrep {
  readonly proc: Proc;
  /** The driver of the model the turn runs on, and its lease (a summary made here goes on it). */
  readonly driver: ModelDriver;
  readonly lease: Lease;
  /** The process's system prompt: built at the first ask, after the stages before it have run; kept after. */
  system(): string | Promise<string>;
}

/** Around a model request: up to three hooks, one per stage (model-chain.ts says what each is for). */
export interface ModelInterceptor {
  system?(proc: Proc): string | Promise<string>;
  /** A promise only when there is something to await: a turn that needs nothing awaits nothing. */
  prepare?(turn: TurnPrep): Promise<unknown> | null;
  send?(call: ModelCall, next: SendModel): Promise<ModelReply>;
}

/** The chain as the loop calls it (model-chain.ts ModelChain). */
export interface ModelRequests {
  system(proc: Proc): Promise<string>;
  prepare(turn: TurnPrep): Promise<void> | null;
  send(call: ModelCall, last: SendModel): Promise<{ reply: ModelReply; sent: ModelCall }>;
}
