/**
 * THE table of the model chain (model-chain.ts): every interceptor around a model request, in the
 * order a request meets them, each one line — its name, the file that implements it, and when it
 * is installed. `installed` is read again at every request, so a reloaded policy (new privacy
 * rules, budgets set or dropped) holds from the next request on, as it always has. A kernel
 * without budgets runs no budget code per request; without privacy rules, no privacy code.
 *
 * Privacy comes before budgets: what is reserved is the request as it leaves (redacted, or routed
 * to a local model). The ladder is not here: its rung is chosen when the turn is queued
 * (kernel/proc/lifecycle.ts route; the lease is the rung's provider), and a request runs on it.
 */
import type { PrivacyPolicy } from '../cost/privacy-spec.js';
import type { Budgets } from '../cost/budgets.js';
import type { AuditInput } from '../store/api.js';
import { budgetGuard } from './budget-guard.js';
import { contextCompaction } from './compaction.js';
import { ModelChain } from './model-chain.js';
import { privacyGuard } from './privacy-guard.js';
import { threadContext, type ThreadHost } from './thread-context.js';

/** What the interceptors need of the kernel, besides the turn loop's host. */
export type InterceptorHost = ThreadHost & {
  readonly privacy: PrivacyPolicy | null;
  readonly budgets: Pick<Budgets, 'any' | 'reserve' | 'settle' | 'waitForRoom'>;
  audit(input: AuditInput): void;
};

export function modelInterceptors(k: InterceptorHost): ModelChain {
  return new ModelChain([
    { name: 'thread-context', interceptor: threadContext(k), installed: () => true }, // loop/thread-context.ts: always (threads need no policy)
    { name: 'compaction', interceptor: contextCompaction(k), installed: () => true }, // loop/compaction.ts: always (every process has a context budget)
    { name: 'privacy', interceptor: privacyGuard(k), installed: () => k.privacy !== null }, // loop/privacy-guard.ts: while the policy has privacy rules
    { name: 'budgets', interceptor: budgetGuard(k), installed: () => k.budgets.any }, // loop/budget-guard.ts: while the policy has budgets
  ]);
}
