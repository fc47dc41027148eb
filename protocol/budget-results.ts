/** Result shapes of the budgets' methods (budget-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

/** One count of a budget's current window: spent against its limits (kernel/cost/budget-view.ts). */
export const budgetCount = s.object({
  key: s.string,
  window: s.string,
  resets_at: s.number,
  spent_usd: s.number,
  spent_tokens: s.nonNegativeInt,
  limit_usd: s.nullable(s.number),
  limit_tokens: s.nullable(s.number),
  raised_usd: s.number,
  raised_tokens: s.number,
  share: s.number,
  in_flight: s.nonNegativeInt,
  paused: s.array(s.positiveInt),
});

export const budgetView = s.object({
  name: s.string,
  scope: s.oneOf(['kernel', 'unit', 'process', 'tree'] as const),
  pattern: s.nullable(s.string),
  shared: s.boolean,
  tz: s.nullable(s.string),
  limits: s.array(
    s.object({
      period: s.oneOf(['daily', 'monthly'] as const),
      unit: s.oneOf(['usd', 'tokens'] as const),
      amount: s.number,
    }),
  ),
  counts: s.array(budgetCount),
});

const history = s.array(
  s.object({
    key: s.string,
    window: s.string,
    spent_usd: s.number,
    spent_tokens: s.nonNegativeInt,
    raised_usd: s.number,
    raised_tokens: s.number,
  }),
);

export const BUDGET_RESULTS = {
  budget_ls: s.object({ budgets: s.array(budgetView) }),
  budget_show: s.object({ budget: budgetView, history }),
  budget_raise: s.object({ budget: budgetView }),
  budget_reset: s.object({ budget: budgetView }),
};
