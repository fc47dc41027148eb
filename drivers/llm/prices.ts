/**
 * What a model call costs, in USD, from the usage the provider reported, and how large a prompt
 * the model takes (its context window, which bounds a process's context budget).
 *
 * Figures: USD per 1M tokens, text, standard (paid, non-batch) tier, from the providers' public
 * pricing pages (ai.google.dev/gemini-api/docs/pricing, openai.com/api/pricing) as last checked
 * for this table (2025-12). Gemini 2.5 Pro uses its ≤200k-token-prompt tier (long prompts cost
 * more); the cached rates are the 2.5 family's 90% cache discount. Prices change: override or
 * extend any entry with a JSON file named in AOS_PRICES, e.g.
 *   {"gemini-2.5-flash": {"prompt": 0.3, "output": 2.5, "cached": 0.03}}
 * Unknown models (local ones behind openai:, e.g. llama3.1:8b) cost 0.
 *
 * Context windows (input tokens), checked 2026-11 against ai.google.dev's model pages (Gemini 2.0
 * Flash: 1,048,576 input) and third-party listings of OpenAI's (gpt-4o-mini: 128,000); the Gemini
 * 2.5 and GPT-4.1 figures are from memory of the providers' pages (1,048,576 and 1,047,576). A local
 * model's window is what its server was started with (Ollama's num_ctx, vLLM's max_model_len): state
 * it in AOS_PRICES, e.g. {"llama3.1:8b": {"prompt": 0, "output": 0, "context": 8192}}.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AosError } from '../../kernel/errno.js';
import type { ModelUsage } from './types.js';

export interface ModelPrice {
  /** USD per 1M prompt tokens not served from cache. */
  prompt: number;
  /** USD per 1M output tokens (thinking included). */
  output: number;
  /** USD per 1M cached prompt tokens; the prompt rate when absent. */
  cached?: number;
  /** The context window: the most input tokens one request may carry; unknown when absent. */
  context?: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

export const DEFAULT_PRICES: PriceTable = Object.freeze({
  // Google Gemini
  'gemini-2.5-pro': { prompt: 1.25, output: 10, cached: 0.125, context: 1_048_576 },
  'gemini-2.5-flash': { prompt: 0.3, output: 2.5, cached: 0.03, context: 1_048_576 },
  'gemini-2.5-flash-lite': { prompt: 0.1, output: 0.4, cached: 0.01, context: 1_048_576 },
  'gemini-2.0-flash': { prompt: 0.1, output: 0.4, cached: 0.025, context: 1_048_576 },
  // OpenAI
  'gpt-4o': { prompt: 2.5, output: 10, cached: 1.25, context: 128_000 },
  'gpt-4o-mini': { prompt: 0.15, output: 0.6, cached: 0.075, context: 128_000 },
  'gpt-4.1': { prompt: 2, output: 8, cached: 0.5, context: 1_047_576 },
  'gpt-4.1-mini': { prompt: 0.4, output: 1.6, cached: 0.1, context: 1_047_576 },
  'gpt-4.1-nano': { prompt: 0.1, output: 0.4, cached: 0.025, context: 1_047_576 },
});

const rate = z.number().finite().nonnegative();
const priceFileSchema = z.record(
  z.string().min(1),
  z.strictObject({ prompt: rate, output: rate, cached: rate.optional(), context: z.number().int().positive().optional() }),
);

/** The defaults with the AOS_PRICES file (if any) laid over them; a bad file is an EINVAL naming it. */
export function loadPriceTable(env: NodeJS.ProcessEnv = process.env): PriceTable {
  const file = env.AOS_PRICES?.trim();
  if (file === undefined || file === '') return DEFAULT_PRICES;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new AosError('EINVAL', `AOS_PRICES=${file}: cannot read the price file (${typeof code === 'string' ? code : String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AosError('EINVAL', `AOS_PRICES=${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = priceFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'the file' : issue.path.map(String).join('.');
    throw new AosError(
      'EINVAL',
      `AOS_PRICES=${file}: ${where}: ${issue?.message ?? 'invalid'} (expected {"<model>": {"prompt": USD per 1M, "output": USD per 1M, "cached"?: USD per 1M, "context"?: tokens}})`,
    );
  }
  // Per entry: a file that only re-prices a model keeps the context window the table knows.
  const merged = Object.fromEntries(Object.entries(parsed.data).map(([name, entry]) => [name, { ...(Object.hasOwn(DEFAULT_PRICES, name) ? DEFAULT_PRICES[name] : {}), ...entry }]));
  return Object.freeze({ ...DEFAULT_PRICES, ...merged });
}

let cached: { key: string | undefined; table: PriceTable } | undefined;

/** The process-wide table (re-read only when AOS_PRICES names another file). */
export function priceTable(): PriceTable {
  const key = process.env.AOS_PRICES;
  if (cached === undefined || cached.key !== key) cached = { key, table: loadPriceTable(process.env) };
  return cached.table;
}

/**
 * The price entry for a model: its exact name, then without a `provider:` prefix, a `models/`
 * prefix or a dated snapshot suffix (`gpt-4o-mini-2024-07-18`). Never a loose prefix match:
 * `gemini-2.5-flash-lite` must not be priced as `gemini-2.5-flash`.
 */
export function priceOf(model: string, table: PriceTable = priceTable()): ModelPrice | undefined {
  const candidates = [model];
  const colon = model.indexOf(':');
  if (colon > 0) candidates.push(model.slice(colon + 1));
  for (const name of [...candidates]) {
    if (name.startsWith('models/')) candidates.push(name.slice('models/'.length));
  }
  for (const name of [...candidates]) {
    const undated = name.replace(/-\d{4}-\d{2}-\d{2}$/, '');
    if (undated !== name) candidates.push(undated);
  }
  for (const name of candidates) {
    const price = Object.hasOwn(table, name) ? table[name] : undefined;
    if (price !== undefined) return price;
  }
  return undefined;
}

/** USD for one call: uncached prompt + cached prompt + output, each at its rate; 0 when unpriced. */
export function costOf(model: string, usage: ModelUsage | undefined, table: PriceTable = priceTable()): number {
  if (usage === undefined) return 0;
  const price = priceOf(model, table);
  if (price === undefined) return 0;
  const cachedTokens = Math.min(usage.cached ?? 0, usage.prompt);
  const fresh = usage.prompt - cachedTokens;
  return (fresh * price.prompt + cachedTokens * (price.cached ?? price.prompt) + usage.output * price.output) / 1_000_000;
}

/** The model's context window in tokens, from the table; undefined when the table does not know it. */
export function contextWindowOf(model: string, table: PriceTable = priceTable()): number | undefined {
  return priceOf(model, table)?.context;
}
