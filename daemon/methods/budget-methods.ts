/** Handlers of the budgets' methods (protocol/budget-protocol.ts); spread into methods.ts's table with one line. */
import { budgetView, type KernelApi, type Via } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';

type BudgetMethod = 'budget_ls' | 'budget_show' | 'budget_raise' | 'budget_reset';
type BudgetHandlers = {
  [M in BudgetMethod]: (
    params: ParsedParamsOf<M>,
    ctx: { kernel: KernelApi; via: Via },
  ) => ResultOf<M> | Promise<ResultOf<M>>;
};

function view(kernel: KernelApi, name: string): ResultOf<'budget_raise'>['budget'] {
  const spec = kernel.budgets.budgets.find((b) => b.name === name);
  if (!spec) kernel.budgets.current(name); // throws ENOENT naming the budgets there are
  return budgetView(kernel.budgets, spec as NonNullable<typeof spec>);
}

export const budgetHandlers: BudgetHandlers = {
  budget_ls: (_params, { kernel }) => ({
    budgets: kernel.budgets.budgets.map((spec) => budgetView(kernel.budgets, spec)),
  }),
  budget_show: async (params, { kernel }) => {
    const budget = view(kernel, params.name);
    // Awaited: on PostgreSQL the kernel's thread goes on while the database answers.
    const history = (await kernel.store.spend.awaited.history(params.name, params.limit ?? 60)).map((r) => ({
      key: r.key,
      window: r.window,
      spent_usd: r.usd,
      spent_tokens: r.tokens,
      raised_usd: r.raised_usd,
      raised_tokens: r.raised_tokens,
    }));
    return { budget, history };
  },
  budget_raise: async (params, { kernel, via }) => {
    kernel.budgets.raise(
      params.name,
      params.key ?? null,
      { usd: params.usd ?? 0, tokens: params.tokens ?? 0 },
      `via ${via}`,
    );
    await kernel.store.committed();
    return { budget: view(kernel, params.name) };
  },
  budget_reset: async (params, { kernel, via }) => {
    kernel.budgets.reset(params.name, params.key ?? null, `via ${via}`);
    await kernel.store.committed();
    return { budget: view(kernel, params.name) };
  },
};
