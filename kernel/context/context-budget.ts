/**
 * How large a process's context may be and how that budget is shared out. The model's context
 * window (from its driver, else the price table) bounds it; the default keeps turns cheap; each
 * result shown to the model gets a slice of it.
 */
import { AosError } from '../../sys/errno.js';
import { contextWindowOf } from '../../drivers/llm/prices.js';
import type { ModelDriver, ModelMessage } from '../../drivers/llm/types.js';
import { param } from '../../sys/param.js';

/**
 * Tokens a prompt takes, estimated at param.contextCharsPerToken characters per token. Used to keep
 * the context within its budget — never for accounting, which uses the provider's figures.
 */
export function estimateTokens(system: string, messages: readonly ModelMessage[]): number {
  let chars = system.length;
  for (const m of messages) chars += m.text.length;
  return Math.ceil(chars / param.contextCharsPerToken);
}

export function tokensToChars(tokens: number): number {
  return Math.floor(tokens * param.contextCharsPerToken);
}

/**
 * The budget of a process on `model`: what the spawn asked, else what its parent had, else the
 * default — and never more than the model's window allows (contextWindowShare of it).
 */
export function contextBudget(
  model: string,
  driver: Pick<ModelDriver, 'contextWindow'>,
  asked?: number,
  inherited?: number,
): number {
  if (asked !== undefined && (!Number.isInteger(asked) || asked < param.minContextTokens)) {
    throw new AosError(
      'EINVAL',
      `contextTokens must be an integer of at least ${param.minContextTokens} (got ${asked})`,
    );
  }
  const wanted = asked ?? inherited ?? param.contextBudgetTokens;
  const window = driver.contextWindow ?? contextWindowOf(model);
  return window === undefined ? wanted : Math.min(wanted, Math.floor(window * param.contextWindowShare));
}

/** Characters one of `calls` results of a reply may take in the model's context. */
export function resultChars(budgetTokens: number, calls: number): number {
  const share = tokensToChars(budgetTokens * param.contextMessageShare) / Math.max(1, calls);
  return Math.floor(Math.min(param.maxResultChars, Math.max(param.minResultChars, share)));
}
