/**
 * A turn under a budget over time (kernel/cost/budgets.ts): its reservation before anything is
 * sent, and, when a budget refuses it, the pause — `blocked (budget)`, off the run queue, holding
 * no slot — until the budget's window rolls or a person raises it (the budgets wake it), or an
 * hourly recheck. Then it queues again and reserves anew; it is never killed for it.
 */
import { AosError } from '../../sys/errno.js';
import { ModelStop } from '../../drivers/llm/types.js';
import { param } from '../../sys/param.js';
import type { BudgetSpent, Grant } from '../cost/budgets.js';
import { makeReady, park } from '../proc/lifecycle.js';
import type { Proc } from '../proc/proc.js';
import type { LoopHost } from './host.js';

/** The counters a turn's spend is measured by: dollars and tokens so far. */
export function spentSoFar(proc: Proc): { usd: number; tokens: number } {
  const c = proc.pcb.counters;
  return { usd: c.cost, tokens: c.promptTokens + c.outputTokens };
}

/** Reserve the turn's estimate (BudgetSpent when refused); a model a dollar budget cannot price ends the process, named. */
export function reserveTurn(kernel: LoopHost, proc: Proc, model: string): Grant | null {
  try {
    return kernel.budgets?.reserve(proc, model) ?? null;
  } catch (error) {
    if (error instanceof AosError) throw new ModelStop(`budget: ${error.message}`);
    throw error;
  }
}

export function pauseOnBudget(kernel: LoopHost, proc: Proc, spent: BudgetSpent): void {
  const budgets = kernel.budgets;
  if (!budgets) return;
  const woken = park(kernel, proc, { kind: 'budget', budget: spent.budget, deadline: Date.now() + param.budgetRecheckMs });
  budgets.pausedOn(spent.budget, proc);
  const count = budgets.countsOf(proc).find((c) => c.budget.name === spent.budget && c.key === spent.key);
  if (count) budgets.emit(count, 'paused', proc.pid);
  kernel.log('info', `process ${proc.pid} paused: ${spent.message}`);
  woken.listen((outcome) => {
    budgets.forget(proc);
    if (!outcome.ok || outcome.value === 'interrupt' || proc.killRequested || kernel.closing) return;
    if (count) budgets.emit(count, 'resumed', proc.pid);
    makeReady(kernel, proc);
  });
}
