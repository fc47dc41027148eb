/**
 * A summary as a model call (a context compaction, a thread's rolling summary): a request like a
 * turn's — within the process's context budget, on its lease, under the privacy rules and its
 * budgets over time, paid by it — on a ladder's cheapest rung when that rung shares the lease's
 * provider (a summary is easy work).
 */
import type { ModelDriver, ModelMessage } from '../../drivers/llm/types.js';
import { fitMessages } from '../context/context-fit.js';
import { budgeted } from '../cost/budget-request.js';
import { guardRequest } from '../cost/privacy.js';
import { account } from '../proc/budgets.js';
import type { Proc } from '../proc/proc.js';
import { type Lease, providerOf } from '../sched/model-pool.js';
import type { LoopHost } from './host.js';

export interface SummaryReply {
  text: string;
  model: string;
  /** Prompt + output tokens, when the provider says. */
  tokens: number | null;
}

/** The model's summary, or null when no request may be sent (it does not fit the budget, the privacy rules refuse it): summarise without a model then. */
export async function summaryCall(kernel: LoopHost, proc: Proc, driver: ModelDriver, lease: Lease, system: string, messages: readonly ModelMessage[]): Promise<SummaryReply | null> {
  const fitted = fitMessages(system, messages, proc.pcb.limits.contextTokens);
  if (!fitted) return null;
  const { pcb } = proc;
  const request = { system, messages: fitted.messages, proc: { pid: pcb.pid, name: pcb.name, turn: pcb.counters.turns }, signal: proc.abort.signal };
  const turnModel = proc.routing?.model ?? pcb.model;
  const cheapest = proc.routing?.rungs[0];
  const chosen = cheapest !== undefined && providerOf(cheapest) === providerOf(turnModel) ? cheapest : turnModel;
  // What a summary sends is the context itself: the privacy rules hold for it as for a turn.
  const guarded = kernel.privacy ? guardRequest(kernel.privacy, chosen, request, (input) => kernel.audit?.(input)) : null;
  if (guarded?.action === 'refuse') return null;
  const sent = guarded ?? { model: chosen, request, restore: null };
  const sentDriver = sent.model === turnModel ? driver : await kernel.models.get(sent.model);
  // Under the budgets that cover the process, as a turn's request: refused (BudgetSpent) when they are spent.
  const reply = await budgeted(kernel.budgets, proc, sent.model, sent.request, () => kernel.pool.complete(sentDriver, sent.request, lease));
  account(proc, reply.usage, sent.model);
  const text = sent.restore ? sent.restore(reply.text) : reply.text;
  return { text, model: sent.model, tokens: reply.usage ? reply.usage.prompt + reply.usage.output : null };
}
