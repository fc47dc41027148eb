/**
 * Protocol methods of budgets over time (issue 31): what each budget of the policy has counted in
 * its current windows, and a person's raise or reset. Spread into METHODS (protocol.ts); `aos budget …` calls them.
 */
import { z } from 'zod';
import { BUDGET_RESULTS as R } from './budget-results.js';

const name = z.string().min(1).max(64);
/** What a budget counts: `kernel`, `unit:digest`, `process:web-1`, `tree:7`; every key it counted when absent. */
const key = z.string().min(1).max(200).optional();

export const BUDGET_METHODS = {
  /** Every budget: its limits and each count of its current windows, with the processes paused on it. */
  budget_ls: { params: z.strictObject({}), result: R.budget_ls },
  /** One budget, with its earlier windows as the store keeps them. */
  budget_show: {
    params: z.strictObject({ name, limit: z.number().int().positive().max(1_000).optional() }),
    result: R.budget_show,
  },
  /** More for the current windows (this window only): the processes paused on it go on. Audited. */
  budget_raise: {
    params: z
      .strictObject({
        name,
        key,
        usd: z.number().positive().max(1_000_000).optional(),
        tokens: z.number().int().positive().optional(),
      })
      .refine((p) => p.usd !== undefined || p.tokens !== undefined, { message: 'give usd or tokens (or both)' }),
    result: R.budget_raise,
  },
  /** The current windows' spend back to nothing. Audited. */
  budget_reset: { params: z.strictObject({ name, key }), result: R.budget_reset },
} as const;
