/** Per-process budgets: tokens and cost counted from the provider's usage (never guessed), and wall time. */
import { costOf } from '../../drivers/llm/prices.js';
import type { ModelUsage } from '../../drivers/llm/types.js';
import { isEnded } from '../../sys/types.js';
import type { ProcCore } from './api.js';
import { endForBudget } from './kill.js';
import type { Proc } from './proc.js';

/** A reply's usage and its price, at the rates of the model that answered (a ladder's rung). */
export function account(proc: Proc, usage: ModelUsage | undefined, model = proc.pcb.model): void {
  if (!usage) return;
  proc.charge(usage, costOf(model, usage));
}

/** The reason a process has crossed its token or cost budget, if it has. */
export function budgetExceeded(proc: Proc): string | null {
  const { counters: c, limits } = proc.pcb;
  const tokens = c.promptTokens + c.outputTokens;
  if (limits.maxTokens !== null && tokens > limits.maxTokens)
    return `token budget exhausted (${tokens} of ${limits.maxTokens} tokens used)`;
  if (limits.maxCost !== null && c.cost > limits.maxCost)
    return `cost budget exhausted ($${c.cost.toFixed(4)} of $${limits.maxCost})`;
  return null;
}

/** Arm the wall-time budget (at spawn, and again after a restart). */
export function armWallTimer(k: ProcCore, proc: Proc): void {
  const limit = proc.pcb.limits.maxWallS;
  if (limit === null || isEnded(proc.pcb.state)) return;
  const left = proc.pcb.createdAt + limit * 1000 - Date.now();
  proc.armWallTimer(
    setTimeout(() => endForBudget(k, proc, `wall time budget exhausted (${limit}s)`), Math.max(0, left)),
  );
}

/** A child's budget is never looser than its parent's (null = unlimited). */
export function tighter(asked: number | undefined, parent: number | null | undefined): number | null {
  const candidates = [asked, parent].filter((v): v is number => typeof v === 'number');
  return candidates.length ? Math.min(...candidates) : null;
}
