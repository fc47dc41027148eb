/**
 * A summary as a model request (a context compaction, a thread's rolling summary): a request like a
 * turn's, through the model chain (model-chain.ts: the privacy rules, the budgets over time) —
 * within the process's context budget, on its lease, paid by it — on a ladder's cheapest rung when
 * that rung shares the lease's provider (a summary is easy work).
 */
import type { ModelDriver, ModelMessage } from '../../drivers/llm/types.js';
import { fitMessages } from '../context/context-budget.js';
import type { Proc } from '../proc/proc.js';
import { type Lease, providerOf } from '../sched/model-pool.js';
import type { LoopHost } from './host.js';
import type { ModelPurpose } from './host.js';
import { PrivacyRefusal } from './privacy-guard.js';

export interface SummaryReply {
  text: string;
  model: string;
  /** Prompt + output tokens, when the provider says. */
  tokens: number | null;
}

/** The model's summary, or null when no request may be sent (it does not fit the budget, the privacy rules refuse it): summarise without a model then. */
export async function summaryCall(
  kernel: LoopHost,
  purpose: Extract<ModelPurpose, 'compaction' | 'thread-summary'>,
  turn: { proc: Proc; driver: ModelDriver; lease: Lease },
  system: string,
  messages: readonly ModelMessage[],
): Promise<SummaryReply | null> {
  const { proc, driver, lease } = turn;
  const fitted = fitMessages(system, messages, proc.pcb.limits.contextTokens);
  if (!fitted) return null;
  const { pcb } = proc;
  const request = {
    system,
    messages: fitted.messages,
    proc: { pid: pcb.pid, name: pcb.name, turn: pcb.counters.turns },
    signal: proc.abort.signal,
  };
  const turnModel = proc.routing?.model ?? pcb.model;
  const cheapest = proc.routing?.rungs[0];
  const model = cheapest !== undefined && providerOf(cheapest) === providerOf(turnModel) ? cheapest : turnModel;
  const chosen = model === turnModel ? driver : (kernel.models.loaded(model) ?? (await kernel.models.get(model)));
  try {
    // Budgets refuse it as they would the turn (BudgetSpent); what it sends is the context itself: the privacy rules hold for it.
    const { reply, sent } = await kernel.modelChain.send(
      { purpose, payer: proc, model, driver: chosen, request },
      (c) => kernel.pool.complete(c.driver, c.request, lease),
    );
    if (reply.usage) proc.charge(reply.usage, sent.model);
    return {
      text: reply.text,
      model: sent.model,
      tokens: reply.usage ? reply.usage.prompt + reply.usage.output : null,
    };
  } catch (error) {
    if (error instanceof PrivacyRefusal) return null;
    throw error;
  }
}
