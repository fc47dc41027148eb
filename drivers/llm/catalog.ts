/**
 * The provider table as a listing (the protocol's `models`, for `aos models`): every provider,
 * configured or not, where its requests would go, and its models with context windows and prices
 * as this kernel charges them (AOS_PRICES included). Names of variables only: never a key's value.
 */
import { endpointOf, isConfigured } from './endpoint.js';
import { ownerOf } from './model-name.js';
import { priceTable, type PriceTable } from './prices.js';
import type { ModelPrice, Provider } from './provider.js';
import { PROVIDERS } from './providers.js';

export interface ModelListing {
  name: string;
  /** Input tokens one request may carry; null when unknown (a local model: its server's setting). */
  context_window: number | null;
  /** USD per 1M tokens; `cached` is the rate of prompt tokens served from cache. */
  price: { prompt: number; output: number; cached: number };
  /** When the figures were checked (YYYY-MM), `AOS_PRICES` for a file's; null when unknown. */
  as_of: string | null;
}

export interface ProviderListing {
  name: string;
  title: string;
  /** How a model of it is written, e.g. `gemini:gemini-2.5-flash`. */
  example: string;
  setup: string[];
  /** Whether any of its variables is set in the kernel's environment (replay needs none). */
  configured: boolean;
  /** Where its requests go from this kernel; null for a provider with no server or a bad base URL. */
  endpoint: string | null;
  /** What is wrong with its settings (a base URL that is not a URL), or null. */
  problem: string | null;
  /** The environment variables that configure it (keys first). */
  settings: string[];
  default_model: string | null;
  /** Bare model names it owns. */
  patterns: string[];
  models: ModelListing[];
}

function toListing(name: string, price: ModelPrice): ModelListing {
  return {
    name,
    context_window: price.context ?? null,
    price: { prompt: price.prompt, output: price.output, cached: price.cached ?? price.prompt },
    as_of: price.asOf ?? null,
  };
}

/** Its own models at the prices in force, then models AOS_PRICES adds whose bare names it owns. */
function modelsOf(provider: Provider, prices: PriceTable): ModelListing[] {
  const own = Object.keys(provider.prices);
  const added = Object.keys(prices)
    .filter((name) => !PROVIDERS.some((p) => Object.hasOwn(p.prices, name)) && ownerOf(name) === provider)
    .sort();
  return [...own, ...added].flatMap((name) => {
    const price = Object.hasOwn(prices, name) ? prices[name] : provider.prices[name];
    return price === undefined ? [] : [toListing(name, price)];
  });
}

function endpointIn(provider: Provider, env: NodeJS.ProcessEnv): { endpoint: string | null; problem: string | null } {
  try {
    return { endpoint: endpointOf(provider, env), problem: null };
  } catch (error) {
    return { endpoint: null, problem: (error as Error).message };
  }
}

export function listProviders(env: NodeJS.ProcessEnv, prices: PriceTable = priceTable()): ProviderListing[] {
  return PROVIDERS.map((provider) => ({
    name: provider.name,
    title: provider.title,
    example: provider.example,
    setup: [...provider.setup],
    configured: isConfigured(provider, env),
    ...endpointIn(provider, env),
    settings: [...provider.env.keys, ...provider.env.baseUrls],
    default_model: provider.defaults.model ?? null,
    patterns: [...provider.patterns],
    models: modelsOf(provider, prices),
  }));
}
