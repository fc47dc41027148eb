/**
 * What a model request can cost, known before it leaves: its prompt, counted with the estimator the
 * context budget uses (characters / 4, context-budget.ts) times what this model's provider reported
 * against that estimate before, and its reply's bound — the max output tokens the request carries
 * to the provider (reply-bound.ts). A budget admits a request while its prompt fits and holds the
 * prompt and the whole bound while it is in flight, so no reply can overrun it by more than one bound.
 */
import { costOf } from '../../drivers/llm/prices.js';
import { replyBound } from '../../drivers/llm/reply-bound.js';
import type { ModelRequest, ModelUsage } from '../../drivers/llm/types.js';
import { BoundedMap } from '../../sys/bounded-map.js';
import { param } from '../../sys/param.js';
import { estimateTokens } from '../context/context-budget.js';

export interface Spend {
  usd: number;
  tokens: number;
}

export interface RequestCost {
  model: string;
  /** The prompt as the estimator counts it (what the scale learns against). */
  estimated: number;
  /** The prompt tokens reserved: the estimate times the model's scale. */
  prompt: number;
  /** The most tokens the reply may take. */
  bound: number;
  /** What must be left for the request to be admitted: its prompt. */
  admit: Spend;
  /** What it holds while in flight: its prompt and its reply's whole bound. */
  reserve: Spend;
}

/** What a reply's usage costs a budget: every token it reports, at the model's rates. */
export function spendOf(model: string, usage: ModelUsage | undefined): Spend {
  return usage ? { tokens: usage.prompt + usage.output, usd: costOf(model, usage) } : { tokens: 0, usd: 0 };
}

/** Per model, the provider's prompt count over the estimate: up at once to what it reported, down slowly. */
export class PromptScale {
  private readonly scales = new BoundedMap<string, number>(param.maxCachedModelDrivers);

  of(model: string): number {
    return this.scales.get(model) ?? 1;
  }

  learn(cost: RequestCost, usage: ModelUsage | undefined): void {
    if (!usage || cost.estimated < param.budgetPromptScaleFrom || !(usage.prompt > 0)) return;
    const seen = usage.prompt / cost.estimated;
    const before = this.of(cost.model);
    const next = Math.max(seen, before * 0.9 + seen * 0.1);
    this.scales.set(cost.model, Math.min(param.budgetPromptScaleMax, Math.max(param.budgetPromptScaleMin, next)));
  }

  costOf(model: string, request: Pick<ModelRequest, 'system' | 'messages' | 'maxOutputTokens'>): RequestCost {
    const estimated = estimateTokens(request.system, request.messages);
    const prompt = Math.ceil(estimated * this.of(model));
    const bound = replyBound(request);
    return {
      model,
      estimated,
      prompt,
      bound,
      admit: { tokens: prompt, usd: costOf(model, { prompt, output: 0 }) },
      reserve: { tokens: prompt + bound, usd: costOf(model, { prompt, output: bound }) },
    };
  }
}
