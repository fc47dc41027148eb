/**
 * What the turn loop needs beyond the process API: the run queue, the model pool, the model drivers,
 * a process's drivers, and the chain its model requests go through (model-chain.ts; what the chain
 * needs of the kernel — privacy rules, budgets, threads — is the table's, model-interceptors.ts),
 * and the one around its syscalls (call-chain.ts; kernel/safety/call-interceptors.ts builds it).
 */
import type { CallChain } from './call-chain.js';
import type { ModelRegistry } from '../../drivers/llm/registry.js';
import type { LiveText } from '../../protocol/live-text.js';
import type { ProcessDrivers } from '../../sys/driver-api.js';
import type { ProcessServices } from '../../syscalls/services.js';
import type { ProcCore } from '../proc/api.js';
import type { Proc } from '../proc/proc.js';
import type { ModelPool } from '../sched/model-pool.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { Budgets } from '../cost/budgets.js';
import type { ModelChain } from './model-chain.js';

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
  /** The system prompt's part on the MCP tools this process may call ('' when none, without waiting). */
  mcpReference(proc: Proc): string | Promise<string>;
  /** Every model request goes through it: a turn's, a summary's (model-interceptors.ts lists what it holds). */
  readonly modelChain: ModelChain;
  /** The interceptors installed around every syscall, outermost first (kernel/safety/call-interceptors.ts lists them). */
  readonly callChain: CallChain;
  /** Approvals (kernel/safety/approvals.ts): a restart settles, with `reason`, a request asked mid-run whose command it cut. */
  readonly safety?: { readonly approvals: { cutByRestart(proc: Proc, id: string, reason: string): void } };
  /** Stdin lines (by id) the turn's notices show the model (Mailboxes.shown). */
  stdinShown?(pid: number, ids: readonly number[]): void;
  /** Budgets over time, for a turn one refused: the process waits for it (budget-pause.ts; requests reserve and settle in budget-guard.ts). */
  readonly budgets?: Pick<Budgets, 'pausedOn' | 'forget' | 'waitForRoom' | 'emit'>;
}
