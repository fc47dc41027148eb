/** What the turn loop needs beyond the process API: the run queue, the model pool, the model drivers and a process's drivers. */
import type { CallGate } from './dispatcher.js';
import type { ModelRegistry } from '../../drivers/llm/registry.js';
import type { LiveText } from '../../protocol/live-text.js';
import type { ProcessDrivers } from '../../sys/driver-api.js';
import type { ProcessServices } from '../../syscalls/services.js';
import type { ProcCore } from '../proc/api.js';
import type { Proc } from '../proc/proc.js';
import type { ModelPool } from '../sched/model-pool.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { Budgets } from '../cost/budgets.js';
import type { PrivacyPolicy } from '../cost/privacy-spec.js';
import type { AuditInput } from '../store/api.js';
import type { Threads } from '../ipc/threads.js';

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
  /** The system prompt's part on the threads attached to this process ('' when none). */
  threadsReference?(proc: Proc): string | Promise<string>;
  /** Context threads: a turn first brings the summaries of the threads its process uses up to date (thread-summary.ts). */
  readonly threads?: Threads;
  /** The policy's rules, approvals and secrets between the capability check and each call. */
  gate?(proc: Proc): CallGate;
  /** Approvals (kernel/safety/approvals.ts): a restart settles, with `reason`, a request asked mid-run whose command it cut. */
  readonly safety?: { readonly approvals: { cutByRestart(proc: Proc, id: string, reason: string): void } };
  /** Personal data kept local: the policy's privacy rules, null when it has none (kernel/cost/privacy.ts). */
  readonly privacy?: PrivacyPolicy | null;
  /** A decision for the audit trail (the privacy rules'). */
  audit?(input: AuditInput): void;
  /** Stdin lines (by id) the turn's notices show the model (Mailboxes.shown). */
  stdinShown?(pid: number, ids: readonly number[]): void;
  /** Budgets over time: every model request reserves before it is sent and settles after (kernel/cost/budget-request.ts). */
  readonly budgets?: Pick<Budgets, 'any' | 'reserve' | 'settle' | 'pausedOn' | 'forget' | 'waitForRoom' | 'emit'>;
}
