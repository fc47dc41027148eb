/** The provider table, walked: every entry is complete, loads, prices parse, and owns its models' bare names. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointOf } from '../../../drivers/llm/endpoint.js';
import { ownerOf, ownersOf, resolveModel } from '../../../drivers/llm/model-name.js';
import { DEFAULT_PRICES, loadPriceTable } from '../../../drivers/llm/prices.js';
import { PROVIDERS, providerNamed } from '../../../drivers/llm/providers.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-providers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the provider table', () => {
  it('names each provider once, and providerNamed finds each', () => {
    const names = PROVIDERS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['gemini', 'openai', 'replay']));
    for (const name of names) expect(providerNamed(name)?.name).toBe(name);
    expect(providerNamed('claude')).toBeUndefined();
  });

  for (const provider of PROVIDERS) {
    describe(provider.name, () => {
      it('has a name, a title, an example of its own and set-up help', () => {
        expect(provider.name).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(provider.title.length).toBeGreaterThan(10);
        expect(provider.example.startsWith(`${provider.name}:`)).toBe(true);
        expect(provider.setup.length).toBeGreaterThan(0);
        for (const line of provider.setup) expect(line.trim().length).toBeGreaterThan(0);
        // Every variable that configures it is named in its help.
        for (const variable of [...provider.env.keys, ...provider.env.baseUrls]) {
          expect(variable).toMatch(/^[A-Z][A-Z0-9_]*$/);
          expect(provider.setup.join(' ')).toContain(variable);
        }
      });

      it('loads a driver module with open()', async () => {
        const loaded = await provider.load();
        expect(typeof loaded.open).toBe('function');
      });

      it('has prices that parse as an AOS_PRICES file would, and they are in the price table', async () => {
        const file = path.join(dir, `${provider.name}.json`);
        const { asOfs, figures } = {
          asOfs: Object.values(provider.prices).map((p) => p.asOf),
          figures: Object.fromEntries(Object.entries(provider.prices).map(([m, { asOf: _asOf, ...p }]) => [m, p])),
        };
        await writeFile(file, JSON.stringify(figures));
        const table = loadPriceTable({ AOS_PRICES: file });
        for (const [model, price] of Object.entries(provider.prices)) {
          expect(table[model], model).toEqual({ ...price, asOf: 'AOS_PRICES' });
          expect(DEFAULT_PRICES[model], model).toBe(price);
          expect(price.cached ?? price.prompt, model).toBeLessThanOrEqual(price.prompt);
          // Every priced model is dated and has its context window: a ladder or a budget can name it.
          expect(price.context, model).toBeGreaterThan(0);
        }
        for (const asOf of asOfs) expect(asOf).toMatch(/^\d{4}-\d{2}$/);
      });

      it('owns the bare names of the models it prices, and of its default model', () => {
        const models = [
          ...Object.keys(provider.prices),
          ...(provider.defaults.model === undefined ? [] : [provider.defaults.model]),
        ];
        for (const model of models) {
          expect(ownerOf(model)?.name, model).toBe(provider.name);
          expect(resolveModel(model)).toBe(`${provider.name}:${model}`);
        }
        if (provider.defaults.model !== undefined)
          expect(Object.keys(provider.prices)).toContain(provider.defaults.model);
      });

      it('has default base URLs that are http(s) URLs', () => {
        for (const url of [provider.defaults.baseUrl, provider.defaults.keyedBaseUrl]) {
          if (url !== undefined) expect(new URL(url).protocol).toMatch(/^https?:$/);
        }
        expect(() => endpointOf(provider, {})).not.toThrow();
      });
    });
  }

  it('no model is priced by two providers (the price table is keyed by bare name)', () => {
    const priced = PROVIDERS.flatMap((p) => Object.keys(p.prices));
    expect(new Set(priced).size).toBe(priced.length);
    expect(Object.keys(DEFAULT_PRICES).sort()).toEqual([...priced].sort());
  });

  it('no pattern of one provider claims a model another prices', () => {
    for (const provider of PROVIDERS) {
      for (const model of Object.keys(provider.prices)) {
        expect(
          ownersOf(model).map((p) => p.name),
          model,
        ).toEqual([provider.name]);
      }
    }
  });
});
