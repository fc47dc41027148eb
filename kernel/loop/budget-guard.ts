/**
 * The budget interceptor: budgets over time (kernel/cost/budgets.ts) around every model request —
 * a turn, a context compaction or a thread's summary, an eval. The request as it leaves (after the
 * privacy rules) is reserved before it is sent (its prompt and its reply's bound; BudgetSpent when
 * a budget refuses it) and settled from what its provider reported when it is back, whatever its
 * outcome, so that no model request spends outside the budgets that cover it. Installed while the
 * policy has budgets.
 *
 * A process's request a budget refuses throws BudgetSpent: the turn parks the process
 * (budget-pause.ts). A request of no process (an eval) has none to park: refused only for the room
 * requests in flight hold, it waits here for them to settle; refused because a budget is spent, it fails.
 */
import { ModelStop, type ModelRequest, type ModelUsage } from '../../drivers/llm/types.js';
import { AosError } from '../../sys/errno.js';
import { BudgetSpent, type Budgets, type Grant } from '../cost/budgets.js';
import type { Proc } from '../proc/proc.js';
import type { ModelInterceptor } from './host.js';

export type BudgetGate = Pick<Budgets, 'reserve' | 'settle' | 'waitForRoom'>;

/** Reserve what `request` can cost on `model` for `payer` (null: an eval); null when no budget covers it. */
function reserveRequest(budgets: BudgetGate, payer: Proc | null, model: string, request: ModelRequest): Grant | null {
  try {
    return budgets.reserve(payer, model, request);
  } catch (error) {
    // A model a dollar budget cannot price: nothing may be sent, and the reason is the operator's to fix.
    if (error instanceof AosError) throw new ModelStop(`budget: ${error.message}`);
    throw error;
  }
}

/** The reservation of a request of no process, once the budgets have room: a spent budget refuses it (BudgetSpent), requests in flight only delay it. */
async function reserveWaiting(budgets: BudgetGate, model: string, request: ModelRequest): Promise<Grant | null> {
  for (;;) {
    try {
      return reserveRequest(budgets, null, model, request);
    } catch (error) {
      if (!(error instanceof BudgetSpent) || error.waitsFor !== 'settle') throw error;
      request.signal.throwIfAborted();
      await new Promise<void>((resolve) => budgets.waitForRoom(error, resolve));
    }
  }
}

export function budgetGuard(host: { readonly budgets: BudgetGate }): ModelInterceptor {
  return {
    async send(call, next) {
      const { budgets } = host;
      const grant = call.payer
        ? reserveRequest(budgets, call.payer, call.model, call.request)
        : await reserveWaiting(budgets, call.model, call.request);
      let usage: ModelUsage | undefined;
      try {
        const reply = await next(call);
        usage = reply.usage;
        return reply;
      } finally {
        // What the request spent, in place of its reservation (usage absent: a failure, or a provider that reported none).
        if (grant) budgets.settle(grant, usage);
      }
    },
  };
}
