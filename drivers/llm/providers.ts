/**
 * The provider table: everything aos knows about each model provider, in one line each. Adding a
 * provider is its driver file (exporting `open`, see provider.ts) plus one entry here; the
 * registry, the set-up help, the price table, bare-name resolution and `aos models` read it.
 *
 * Prices: USD per 1M tokens, text, standard (paid, non-batch) tier, from the providers' public
 * pricing pages (ai.google.dev/gemini-api/docs/pricing, openai.com/api/pricing) as last checked
 * for this table (2025-12). Gemini 2.5 Pro uses its ≤200k-token-prompt tier (long prompts cost
 * more); the cached rates are the 2.5 family's 90% cache discount. Prices change: override or
 * extend any entry with a JSON file named in AOS_PRICES (prices.ts). Unknown models cost 0.
 *
 * Context windows (input tokens), checked 2026-11 against ai.google.dev's model pages (Gemini 2.0
 * Flash: 1,048,576 input) and third-party listings of OpenAI's (gpt-4o-mini: 128,000); the Gemini
 * 2.5 and GPT-4.1 figures are from memory of the providers' pages (1,048,576 and 1,047,576). A local
 * model's window is what its server was started with (Ollama's num_ctx, vLLM's max_model_len): state
 * it in AOS_PRICES, e.g. {"llama3.1:8b": {"prompt": 0, "output": 0, "context": 8192}}.
 */
import type { ModelPrice, PriceTable, Provider } from './provider.js';

/** Each entry of a provider's table with the month its figures were checked. */
function checked(asOf: string, prices: Record<string, Omit<ModelPrice, 'asOf'>>): PriceTable {
  return Object.freeze(Object.fromEntries(Object.entries(prices).map(([name, price]) => [name, { ...price, asOf }])));
}

const OLLAMA_BASE_URL = 'http://127.0.0.1:11434/v1';

export const PROVIDERS: readonly Provider[] = [
  {
    name: 'gemini',
    title: 'Google Gemini, through the official @google/genai SDK',
    example: 'gemini:gemini-2.5-flash',
    setup: [
      'set GEMINI_API_KEY (or GOOGLE_API_KEY) to a key from https://aistudio.google.com/apikey;',
      'GEMINI_BASE_URL to point elsewhere',
    ],
    env: { keys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], baseUrls: ['GEMINI_BASE_URL'] },
    defaults: { model: 'gemini-2.5-flash', baseUrl: 'https://generativelanguage.googleapis.com' },
    patterns: ['gemini-*'],
    prices: checked('2025-12', {
      'gemini-2.5-pro': { prompt: 1.25, output: 10, cached: 0.125, context: 1_048_576 },
      'gemini-2.5-flash': { prompt: 0.3, output: 2.5, cached: 0.03, context: 1_048_576 },
      'gemini-2.5-flash-lite': { prompt: 0.1, output: 0.4, cached: 0.01, context: 1_048_576 },
      'gemini-2.0-flash': { prompt: 0.1, output: 0.4, cached: 0.025, context: 1_048_576 },
    }),
    // The seed names gemini-1.5-flash; Google retired the 1.5 family (shut down 2025-09-24).
    retired: {
      'gemini-1.5-flash':
        'Google retired the Gemini 1.5 models (shut down 2025-09-24): use gemini-2.5-flash, or gemini-2.5-flash-lite for the cheapest',
      'gemini-1.5-flash-8b': 'Google retired the Gemini 1.5 models (shut down 2025-09-24): use gemini-2.5-flash-lite',
      'gemini-1.5-pro': 'Google retired the Gemini 1.5 models (shut down 2025-09-24): use gemini-2.5-pro',
    },
    load: () => import('./gemini.js'),
  },
  {
    name: 'openai',
    title: 'an OpenAI-compatible endpoint: OpenAI, Ollama, vLLM, llama.cpp server, LM Studio',
    example: 'openai:<model>',
    setup: [
      `set OPENAI_BASE_URL, e.g. ${OLLAMA_BASE_URL} for Ollama, and OPENAI_API_KEY if it needs one`,
      `(with only OPENAI_API_KEY set, https://api.openai.com/v1 is used; with neither, ${OLLAMA_BASE_URL});`,
      'the model name goes to the server verbatim, e.g. openai:llama3.1:8b',
    ],
    env: { keys: ['OPENAI_API_KEY'], baseUrls: ['OPENAI_BASE_URL'] },
    defaults: { baseUrl: OLLAMA_BASE_URL, keyedBaseUrl: 'https://api.openai.com/v1' },
    // OpenAI's own families, and the open-weight families people serve with Ollama or vLLM.
    patterns: [
      'gpt-*',
      'chatgpt-*',
      'o1*',
      'o3*',
      'o4*',
      'llama*',
      'codellama*',
      'qwen*',
      'mistral*',
      'mixtral*',
      'phi*',
      'deepseek*',
      'gemma*',
    ],
    prices: checked('2025-12', {
      'gpt-4o': { prompt: 2.5, output: 10, cached: 1.25, context: 128_000 },
      'gpt-4o-mini': { prompt: 0.15, output: 0.6, cached: 0.075, context: 128_000 },
      'gpt-4.1': { prompt: 2, output: 8, cached: 0.5, context: 1_047_576 },
      'gpt-4.1-mini': { prompt: 0.4, output: 1.6, cached: 0.1, context: 1_047_576 },
      'gpt-4.1-nano': { prompt: 0.1, output: 0.4, cached: 0.025, context: 1_047_576 },
    }),
    load: () => import('./openai.js'),
  },
  {
    name: 'replay',
    title: 'a replay tape: deterministic and offline',
    example: 'replay:<tape.yaml>',
    setup: ['nothing to set: write a tape (README, "Replay tapes"; e.g. examples/hello-loop.yaml)'],
    env: { keys: [], baseUrls: [] },
    defaults: {},
    patterns: ['*.yaml', '*.yml'],
    prices: {},
    load: () => import('./replay.js'),
  },
];

/** The table entry named `name`, if any. */
export function providerNamed(name: string): Provider | undefined {
  return PROVIDERS.find((provider) => provider.name === name);
}

/** `gemini, openai, replay`: for messages. */
export function providerNames(): string {
  return PROVIDERS.map((provider) => provider.name).join(', ');
}
