/** The `models` listing: every provider, configured or not, with its models at the prices in force, and no secret. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProviders } from '../../../drivers/llm/catalog.js';
import { DEFAULT_PRICES, loadPriceTable } from '../../../drivers/llm/prices.js';
import { PROVIDERS } from '../../../drivers/llm/providers.js';

const KEY = 'AIza-test-SECRET-0123456789';
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-catalog-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function byName(listing: ReturnType<typeof listProviders>, name: string) {
  const found = listing.find((p) => p.name === name);
  if (found === undefined) throw new Error(`no ${name} in the listing`);
  return found;
}

describe('listProviders', () => {
  it('lists every provider of the table, configured or not, with where it would send requests', () => {
    const listing = listProviders({ GEMINI_API_KEY: KEY }, DEFAULT_PRICES);
    expect(listing.map((p) => p.name)).toEqual(PROVIDERS.map((p) => p.name));
    expect(byName(listing, 'gemini')).toMatchObject({
      configured: true,
      endpoint: 'https://generativelanguage.googleapis.com',
      problem: null,
      default_model: 'gemini-2.5-flash',
    });
    expect(byName(listing, 'openai')).toMatchObject({
      configured: false,
      endpoint: 'http://127.0.0.1:11434/v1',
      settings: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    });
    expect(byName(listing, 'replay')).toMatchObject({ configured: true, endpoint: null, models: [] });
    expect(JSON.stringify(listing)).not.toContain(KEY);
  });

  it('gives each model its context window and prices, the cached rate filled in', () => {
    const gemini = byName(listProviders({}, DEFAULT_PRICES), 'gemini');
    expect(gemini.models.map((m) => m.name)).toEqual(Object.keys(PROVIDERS[0]?.prices ?? {}));
    expect(gemini.models.find((m) => m.name === 'gemini-2.5-flash')).toEqual({
      name: 'gemini-2.5-flash',
      context_window: 1_048_576,
      price: { prompt: 0.3, output: 2.5, cached: 0.03 },
      as_of: '2025-12',
    });
  });

  it('shows AOS_PRICES: a re-priced model, and a local model under the provider that owns its name', async () => {
    const file = path.join(dir, 'prices.json');
    await writeFile(
      file,
      JSON.stringify({
        'gpt-4o-mini': { prompt: 9, output: 9 },
        'llama3.1:8b': { prompt: 0, output: 0, context: 8192 },
        'claude-x': { prompt: 1, output: 1 },
      }),
    );
    const openai = byName(listProviders({}, loadPriceTable({ AOS_PRICES: file })), 'openai');
    // Laid over the table's entry: the context window and cached rate it does not restate stay.
    expect(openai.models.find((m) => m.name === 'gpt-4o-mini')).toEqual({
      name: 'gpt-4o-mini',
      context_window: 128_000,
      price: { prompt: 9, output: 9, cached: 0.075 },
      as_of: 'AOS_PRICES',
    });
    expect(openai.models.at(-1)).toEqual({
      name: 'llama3.1:8b',
      context_window: 8192,
      price: { prompt: 0, output: 0, cached: 0 },
      as_of: 'AOS_PRICES',
    });
    // A name no provider owns is not listed under any.
    expect(JSON.stringify(listProviders({}, loadPriceTable({ AOS_PRICES: file })))).not.toContain('claude-x');
  });

  it("reports a bad base URL as the provider's problem instead of failing the listing", () => {
    const openai = byName(listProviders({ OPENAI_BASE_URL: 'not a url' }, DEFAULT_PRICES), 'openai');
    expect(openai).toMatchObject({ configured: true, endpoint: null });
    expect(openai.problem).toContain('OPENAI_BASE_URL "not a url" is not a URL');
  });
});
