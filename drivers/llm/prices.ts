/**
 * What a model call costs, in USD, from the usage the provider reported, and how large a prompt
 * the model takes (its context window, which bounds a process's context budget). The figures are
 * the provider table's (providers.ts, with their sources); a JSON file named in AOS_PRICES
 * overrides or extends any entry, e.g.
 *   {"gemini-2.5-flash": {"prompt": 0.3, "output": 2.5, "cached": 0.03}}
 *   {"llama3.1:8b": {"prompt": 0, "output": 0, "context": 8192}}
 * Unknown models (local ones behind openai:, e.g. llama3.1:8b) cost 0.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import type { ModelPrice, PriceTable } from './provider.js';
import { PROVIDERS } from './providers.js';
import type { ModelUsage } from './types.js';

export type { ModelPrice, PriceTable } from './provider.js';

/** Every provider's prices in one table, keyed by bare model name (the table keeps names unique per provider). */
export const DEFAULT_PRICES: PriceTable = Object.freeze(
  Object.fromEntries(PROVIDERS.flatMap((provider) => Object.entries(provider.prices))),
);

const rate = z.number().finite().nonnegative();
const priceFileSchema = z.record(
  z.string().min(1),
  z.strictObject({
    prompt: rate,
    output: rate,
    cached: rate.optional(),
    context: z.number().int().positive().optional(),
  }),
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
    throw new AosError(
      'EINVAL',
      `AOS_PRICES=${file}: cannot read the price file (${typeof code === 'string' ? code : String(error)})`,
    );
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
  const merged = Object.fromEntries(
    Object.entries(parsed.data).map(([name, entry]) => [
      name,
      { ...(Object.hasOwn(DEFAULT_PRICES, name) ? DEFAULT_PRICES[name] : {}), ...entry, asOf: 'AOS_PRICES' },
    ]),
  );
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
  return (
    (fresh * price.prompt + cachedTokens * (price.cached ?? price.prompt) + usage.output * price.output) / 1_000_000
  );
}

/** The model's context window in tokens, from the table; undefined when the table does not know it. */
export function contextWindowOf(model: string, table: PriceTable = priceTable()): number | undefined {
  return priceOf(model, table)?.context;
}
