/**
 * Budgets around one model request, wherever the kernel makes it — a turn, a context compaction or
 * a thread's summary, an eval: `reserveRequest` before it leaves (what it can cost: its prompt and
 * its reply's bound; BudgetSpent when a budget refuses it), `settleRequest` when it is back (what
 * its provider reported). `budgeted` calls both around the request; every site goes through it, so
 * that no model request spends outside the budgets that cover it. Its shape is an interceptor's.
 */
import { ModelStop, type ModelReply, type ModelRequest, type ModelUsage } from '../../drivers/llm/types.js';
import { AosError } from '../../sys/errno.js';
import type { Proc } from '../proc/proc.js';
import type { Budgets, Grant } from './budgets.js';

export type BudgetGate = Pick<Budgets, 'any' | 'reserve' | 'settle'>;

/** Reserve what `request` can cost on `model` for `payer` (a process, or null for none: an eval); null when no budget covers it. */
export function reserveRequest(budgets: BudgetGate | null | undefined, payer: Proc | null, model: string, request: ModelRequest): Grant | null {
  if (!budgets?.any) return null;
  try {
    return budgets.reserve(payer, model, request);
  } catch (error) {
    // A model a dollar budget cannot price: nothing may be sent, and the reason is the operator's to fix.
    if (error instanceof AosError) throw new ModelStop(`budget: ${error.message}`);
    throw error;
  }
}

/** What the request spent, in place of its reservation (usage absent: a failure, or a provider that reported none). */
export function settleRequest(budgets: BudgetGate | null | undefined, grant: Grant | null, usage: ModelUsage | undefined): void {
  if (grant && budgets) budgets.settle(grant, usage);
}

/** `send` under the budgets: reserved before, settled after, whatever its outcome. */
export async function budgeted(budgets: BudgetGate | null | undefined, payer: Proc | null, model: string, request: ModelRequest, send: () => Promise<ModelReply>): Promise<ModelReply> {
  const grant = reserveRequest(budgets, payer, model, request);
  let usage: ModelUsage | undefined;
  try {
    const reply = await send();
    usage = reply.usage;
    return reply;
  } finally {
    settleRequest(budgets, grant, usage);
  }
}
