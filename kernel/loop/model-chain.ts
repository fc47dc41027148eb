/**
 * The chain around a model request, as Temporal's interceptors wrap an activity: what the turn
 * needs besides asking the model — a thread's summary brought up to date, a context compacted,
 * personal data kept local, budgets reserved and settled — is an interceptor, one file each and one
 * line in the table below, installed only while the kernel (or the process) needs it. What an
 * interceptor is, is declared in host.ts; this file is how a chain runs and which one the kernel runs.
 *
 * An interceptor has up to three hooks, one per stage of a request:
 * - `system`: its part of a process's system prompt (built once per process, then kept);
 * - `prepare`: before a turn's request is built, the context brought up to date (a turn's only:
 *   it may itself ask the model, through `send`);
 * - `send`: around every request, whatever its purpose — it sees the request before `next` sends
 *   it on (and may change it, or the model it goes to) and the reply after; a throw from further in
 *   passes back through it (its `finally` settles what it holds).
 *
 * The table (modelInterceptors): every interceptor in the order a request meets them, each one line
 * — its name, the file that implements it, and when it is installed. `installed` is read again at
 * every request, so a reloaded policy (new privacy rules, budgets set or dropped) holds from the
 * next request on, as it always has. A kernel without budgets runs no budget code per request;
 * without privacy rules, no privacy code; a process without a thread, no thread code; a context
 * far from its budget, no compaction code. Privacy comes before budgets: what is reserved is the
 * request as it leaves (redacted, or routed to a local model). The ladder is not here: its rung is
 * chosen when the turn is queued (kernel/proc/lifecycle.ts route; the lease is the rung's
 * provider), and a request runs on it.
 */
import type { ModelReply } from '../../drivers/llm/types.js';
import { param } from '../../sys/param.js';
import { estimateTokens } from '../context/context-budget.js';
import type { Budgets } from '../cost/budgets.js';
import type { PrivacyPolicy } from '../cost/privacy-spec.js';
import type { Proc } from '../proc/proc.js';
import type { AuditInput } from '../store/api.js';
import { budgetGuard } from './budget-guard.js';
import { contextCompaction } from './compaction.js';
import type { ModelCall, ModelInterceptor, ModelRequests, SendModel, TurnPrep } from './host.js';
import { privacyGuard } from './privacy-guard.js';
import { skillsContext, type SkillsHost } from './skills-context.js';
import { threadContext, type ThreadHost } from './thread-context.js';
import { tracedRequests, type KernelTracing } from './tracing.js';
import { turnOf } from './turn-state.js';

export type { ModelCall, ModelInterceptor, ModelPurpose, SendModel, TurnPrep } from './host.js';

/** A line of the table: an interceptor and whether it is installed. */
export interface ChainEntry {
  readonly name: string;
  readonly interceptor: ModelInterceptor;
  /**
   * Read again at every request, with the process it is for (null: an eval's): a reloaded policy
   * installs or removes it from the next request on, and a process that uses no thread runs no thread code.
   */
  installed(payer: Proc | null): boolean;
}

export class ModelChain implements ModelRequests {
  constructor(readonly entries: readonly ChainEntry[]) {}

  /** The interceptors installed now for `payer` that have `hook`, in the table's order. */
  private with<K extends keyof ModelInterceptor>(
    hook: K,
    payer: Proc | null,
  ): Array<Required<Pick<ModelInterceptor, K>>> {
    const out: Array<Required<Pick<ModelInterceptor, K>>> = [];
    for (const entry of this.entries)
      if (entry.interceptor[hook] && entry.installed(payer))
        out.push(entry.interceptor as Required<Pick<ModelInterceptor, K>>);
    return out;
  }

  /** The interceptors' parts of a system prompt, in order. */
  async system(proc: Proc): Promise<string> {
    let text = '';
    for (const interceptor of this.with('system', proc)) text += await interceptor.system(proc);
    return text;
  }

  /** Each `prepare` in order, the next once the one before is done; null when none had anything to await. */
  prepare(turn: TurnPrep): Promise<void> | null {
    const stages = this.with('prepare', turn.proc);
    const from = (i: number): Promise<void> | null => {
      for (; i < stages.length; i++) {
        const pending = stages[i]?.prepare(turn);
        if (pending) return pending.then(() => from(i + 1) ?? undefined);
      }
      return null;
    };
    return from(0);
  }

  /** `call` through every installed `send`, then `last`; the reply, and the call as it left the last interceptor. */
  async send(call: ModelCall, last: SendModel): Promise<{ reply: ModelReply; sent: ModelCall }> {
    const stages = this.with('send', call.payer);
    let sent = call;
    const at =
      (i: number): SendModel =>
      (next) => {
        const stage = stages[i];
        if (stage) return stage.send(next, at(i + 1));
        sent = next;
        return last(next);
      };
    const reply = await at(0)(call);
    return { reply, sent };
  }
}

// ---- the table ----

/** What the interceptors need of the kernel, besides the turn loop's host. */
export type InterceptorHost = ThreadHost &
  SkillsHost & {
    readonly privacy: PrivacyPolicy | null;
    readonly budgets: Pick<Budgets, 'any' | 'reserve' | 'settle' | 'waitForRoom'>;
    audit(input: AuditInput): void;
    readonly tracing: KernelTracing | null;
  };

/** Threads need no policy: a process that was attached one, or opened or wrote one, has its thread context. */
const usesThreads = (k: InterceptorHost, proc: Proc): boolean =>
  (proc.pcb.threads?.length ?? 0) > 0 || k.threads.users.has(proc.pid);

/**
 * Compaction warns at one mark and compacts at another: below both its context has nothing for it.
 * At a process's first turn the system prompt it counts is not built yet: compaction builds it first.
 */
const nearingBudget = (proc: Proc): boolean => {
  const { systemPrompt, transcript } = turnOf(proc);
  if (systemPrompt === undefined) return true;
  const mark = Math.min(param.contextWarnAt, param.contextCompactAt);
  return estimateTokens(systemPrompt, transcript) >= proc.pcb.limits.contextTokens * mark;
};

export function modelInterceptors(k: InterceptorHost): ModelChain {
  return new ModelChain([
    { name: 'thread-context', interceptor: threadContext(k), installed: (p) => p !== null && usesThreads(k, p) }, // loop/thread-context.ts: for a process with a thread
    { name: 'skills', interceptor: skillsContext(k), installed: (p) => p !== null && k.anySkills }, // loop/skills-context.ts: while a skill is installed
    { name: 'compaction', interceptor: contextCompaction(k), installed: (p) => p !== null && nearingBudget(p) }, // loop/compaction.ts: once a context nears its budget
    { name: 'privacy', interceptor: privacyGuard(k), installed: () => k.privacy !== null }, // loop/privacy-guard.ts: while the policy has privacy rules
    { name: 'budgets', interceptor: budgetGuard(k), installed: () => k.budgets.any }, // loop/budget-guard.ts: while the policy has budgets
    { name: 'tracing', interceptor: tracedRequests(k), installed: () => k.tracing !== null }, // loop/tracing.ts: while traces are exported (OTEL_*)
  ]);
}
