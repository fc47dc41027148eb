/** What `aos budget ls|show` shows of a budget: its spec and each count of its current windows, spent against its limits. */
import type { BudgetSpec } from './budget-spec.js';
import type { Budgets, Count } from './budgets.js';

export interface BudgetCountView {
  key: string;
  window: string;
  /** When the window rolls (ms). */
  resets_at: number;
  spent_usd: number;
  spent_tokens: number;
  /** With what a person raised it by; null when the budget has no such limit for this window. */
  limit_usd: number | null;
  limit_tokens: number | null;
  raised_usd: number;
  raised_tokens: number;
  /** The largest share spent of its limits (1 = all of it). */
  share: number;
  in_flight: number;
  /** Processes paused on this budget by this count (its key, its window). */
  paused: number[];
}

export interface BudgetView {
  name: string;
  scope: BudgetSpec['scope'];
  pattern: string | null;
  shared: boolean;
  tz: string | null;
  limits: Array<{ period: 'daily' | 'monthly'; unit: 'usd' | 'tokens'; amount: number }>;
  counts: BudgetCountView[];
}

function countView(count: Count, paused: number[]): BudgetCountView {
  const period = count.window.startsWith('daily:') ? 'daily' : 'monthly';
  const usd = count.budget.limits.find((l) => l.period === period && l.unit === 'usd');
  const tokens = count.budget.limits.find((l) => l.period === period && l.unit === 'tokens');
  const limitUsd = usd ? usd.amount + count.raisedUsd : null;
  const limitTokens = tokens ? tokens.amount + count.raisedTokens : null;
  const share = Math.max(limitUsd ? count.usd / limitUsd : 0, limitTokens ? count.tokens / limitTokens : 0);
  return {
    key: count.key,
    window: count.window,
    resets_at: count.end,
    spent_usd: count.usd,
    spent_tokens: count.tokens,
    limit_usd: limitUsd,
    limit_tokens: limitTokens,
    raised_usd: count.raisedUsd,
    raised_tokens: count.raisedTokens,
    share,
    in_flight: count.inFlight,
    paused,
  };
}

export function budgetView(budgets: Pick<Budgets, 'current' | 'pausedPids'>, spec: BudgetSpec): BudgetView {
  return {
    name: spec.name,
    scope: spec.scope,
    pattern: spec.pattern,
    shared: spec.shared,
    tz: spec.tz,
    limits: spec.limits.map((l) => ({ ...l })),
    counts: budgets
      .current(spec.name)
      .map((c) => countView(c, budgets.pausedPids(spec.name, c)))
      .sort((a, b) => a.key.localeCompare(b.key) || a.window.localeCompare(b.window)),
  };
}
