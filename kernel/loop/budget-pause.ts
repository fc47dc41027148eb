/**
 * A turn a budget over time refused (kernel/cost/budgets.ts; its requests are reserved and settled
 * by the budget interceptor, budget-guard.ts): `blocked (budget)`, off the run queue, holding no
 * slot. Refused because the budget is spent, it is paused until the window rolls or a person
 * raises it (the budgets wake it), or an hourly recheck; refused only because requests in flight
 * hold the room, until one of them settles and leaves it enough. Then it queues again and reserves
 * anew; it is never killed for it.
 */
import { param } from '../../sys/param.js';
import type { BudgetSpent } from '../cost/budgets.js';
import { makeReady, park } from '../proc/lifecycle.js';
import type { Proc } from '../proc/proc.js';
import type { LoopHost } from './host.js';

export function pauseOnBudget(kernel: LoopHost, proc: Proc, spent: BudgetSpent): void {
  const budgets = kernel.budgets;
  if (!budgets) return;
  const settling = spent.waitsFor === 'settle';
  const woken = park(kernel, proc, {
    kind: 'budget',
    budget: spent.budget,
    deadline: Date.now() + param.budgetRecheckMs,
    ...(settling ? { settle: true } : {}),
  });
  budgets.pausedOn(spent.budget, proc, spent.count);
  // A wait for requests in flight is short and common in a race: a state change, not a `paused` event.
  const count = settling ? undefined : spent.count;
  if (count) {
    budgets.emit(count, 'paused', proc.pid);
    kernel.log('info', `process ${proc.pid} paused: ${spent.message}`);
  }
  let stopWaiting: (() => void) | null = null;
  woken.listen((outcome) => {
    budgets.forget(proc);
    stopWaiting?.();
    if (!outcome.ok || outcome.value === 'interrupt' || proc.killRequested || kernel.closing) return;
    if (count) budgets.emit(count, 'resumed', proc.pid);
    makeReady(kernel, proc);
  });
  if (settling) stopWaiting = budgets.waitForRoom(spent, () => proc.wake('ready'));
}
