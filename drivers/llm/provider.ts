/**
 * What one provider is (an entry of the table in providers.ts) and what its driver module exports.
 * Kept apart from the table so that drivers, prices and the table share the types without a cycle.
 */
import type { ModelDeadlines } from '../../sys/model-limits.js';
import type { Tape } from './replay-tape.js';
import type { ModelDriver } from './types.js';

export interface ModelPrice {
  /** USD per 1M prompt tokens not served from cache. */
  prompt: number;
  /** USD per 1M output tokens (thinking included). */
  output: number;
  /** USD per 1M cached prompt tokens; the prompt rate when absent. */
  cached?: number;
  /** The context window: the most input tokens one request may carry; unknown when absent. */
  context?: number;
  /** When these figures were last checked against the provider's page (YYYY-MM), or `AOS_PRICES` for a file's. */
  asOf?: string;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** What the table hands a driver when it opens a model. */
export interface OpenContext {
  /** How long one model call may take, and where each bound is set (AOS_LIMITS: sys/model-limits.ts). */
  deadlines: ModelDeadlines;
  /** Where keys come from (read once, at open). */
  env: NodeJS.ProcessEnv;
  /** Where requests go in this environment (endpoint.ts); null for a provider with no server. */
  baseUrl: string | null;
  /** How a replay tape is read by absolute path; a capped host read when absent. */
  readTape?: (file: string) => Promise<Tape>;
}

/** A driver module: loaded on first use, so a kernel that never talks to Gemini never loads its SDK. */
export interface ProviderModule {
  /** The driver of `model` (the part after `provider:`); AosError EINVAL when it cannot be set up (no key, bad URL). */
  open(model: string, context: OpenContext): ModelDriver | Promise<ModelDriver>;
}

export interface Provider {
  /** The prefix of its model names: `gemini` in `gemini:gemini-2.5-flash`. */
  readonly name: string;
  /** What it is, in a few words. */
  readonly title: string;
  /** How its models are written in help, e.g. `gemini:gemini-2.5-flash`, `openai:<model>`. */
  readonly example: string;
  /** Set-up help, a line or two: what to set. Shown when no model is given and by `aos models`. */
  readonly setup: readonly string[];
  /** The environment variables that configure it: keys (secret) and base URLs (in the order read). */
  readonly env: { readonly keys: readonly string[]; readonly baseUrls: readonly string[] };
  readonly defaults: {
    /** The model to suggest (help, listings); none for a provider whose models are the user's own. */
    readonly model?: string;
    /** Where requests go when no base URL variable is set; none for a provider with no server. */
    readonly baseUrl?: string;
    /** Where they go instead when only a key is set (a key suggests the hosted service). */
    readonly keyedBaseUrl?: string;
  };
  /** Bare model names it owns (`gemini-*`): `gemini-1.5-flash` means `gemini:gemini-1.5-flash`. */
  readonly patterns: readonly string[];
  /** USD per 1M tokens and context windows of the models it is known to serve. */
  readonly prices: PriceTable;
  /** Models the provider no longer serves, with what to use instead: opening one is refused with this. */
  readonly retired?: Readonly<Record<string, string>>;
  load(): Promise<ProviderModule>;
}
