/** The --json of `aos budget …` (the budgets' method results, budget-results.ts), as zod schemas published by `aos schema`. */
import { z } from 'zod';

const count = z.object({
  key: z.string().describe('what it counts: kernel, unit:<name>, process:<name>, tree:<root pid>'),
  window: z.string().describe("daily:YYYY-MM-DD or monthly:YYYY-MM in the budget's time zone"),
  resets_at: z.number().describe('ms since the epoch: when the window rolls'),
  spent_usd: z.number(),
  spent_tokens: z.number().int().nonnegative(),
  limit_usd: z
    .number()
    .nullable()
    .describe('with what a person raised it by; null when the budget has no dollar limit for this window'),
  limit_tokens: z.number().nullable(),
  raised_usd: z.number(),
  raised_tokens: z.number(),
  share: z.number().describe('the largest share spent of its limits (1 = all of it)'),
  in_flight: z.number().int().nonnegative(),
  paused: z.array(z.number().int().positive()).describe('processes paused on this budget'),
});

const view = z.object({
  name: z.string(),
  scope: z.enum(['kernel', 'unit', 'process', 'tree']),
  pattern: z.string().nullable(),
  shared: z.boolean(),
  tz: z.string().nullable(),
  limits: z.array(
    z.object({ period: z.enum(['daily', 'monthly']), unit: z.enum(['usd', 'tokens']), amount: z.number() }),
  ),
  counts: z.array(count),
});

export const BUDGET_VERB_SCHEMAS = {
  'budget-ls': z.object({ budgets: z.array(view) }).describe('aos budget ls --json'),
  'budget-show': z
    .object({
      budget: view,
      history: z.array(
        z.object({
          key: z.string(),
          window: z.string(),
          spent_usd: z.number(),
          spent_tokens: z.number().int(),
          raised_usd: z.number(),
          raised_tokens: z.number(),
        }),
      ),
    })
    .describe('aos budget show --json'),
  'budget-changed': z.object({ budget: view }).describe('aos budget raise|reset --json: the budget as it is now'),
} as const;
