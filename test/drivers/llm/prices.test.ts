import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { contextWindowOf, costOf, DEFAULT_PRICES, loadPriceTable, priceOf } from '../../../drivers/llm/prices.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aos-prices-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, 'utf8');
  return path;
}

describe('prices', () => {
  it('prices the listed Gemini and OpenAI models', () => {
    for (const model of [
      'gemini-2.5-flash',
      'gemini-2.5-flash-lite',
      'gemini-2.5-pro',
      'gemini-2.0-flash',
      'gpt-4o-mini',
      'gpt-4.1-mini',
    ]) {
      expect(DEFAULT_PRICES[model], model).toBeDefined();
    }
  });

  it('costs uncached prompt, cached prompt and output at their rates', () => {
    const table = { m: { prompt: 1, output: 10, cached: 0.1 } };
    // 1M prompt of which 400k cached, 100k output
    expect(costOf('m', { prompt: 1_000_000, cached: 400_000, output: 100_000 }, table)).toBeCloseTo(0.6 + 0.04 + 1, 10);
    // no cached rate: cached tokens at the prompt rate
    expect(costOf('n', { prompt: 100, cached: 100, output: 0 }, { n: { prompt: 1, output: 1 } })).toBeCloseTo(
      0.0001,
      12,
    );
    expect(costOf('m', undefined, table)).toBe(0);
  });

  it('finds a model by provider:name, models/ prefix or dated snapshot, never by loose prefix', () => {
    expect(priceOf('gemini:gemini-2.5-flash')).toBe(DEFAULT_PRICES['gemini-2.5-flash']);
    expect(priceOf('models/gemini-2.5-pro')).toBe(DEFAULT_PRICES['gemini-2.5-pro']);
    expect(priceOf('openai:gpt-4o-mini-2024-07-18')).toBe(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceOf('gemini-2.5-flash-lite')).toBe(DEFAULT_PRICES['gemini-2.5-flash-lite']);
    expect(priceOf('gemini-2.5-flash-something-new')).toBeUndefined();
  });

  it('unknown and local models cost 0', () => {
    expect(costOf('openai:llama3.1:8b', { prompt: 1e6, output: 1e6 })).toBe(0);
    expect(costOf('replay:/tmp/tape.yaml', { prompt: 1e6, output: 1e6 })).toBe(0);
  });

  it('AOS_PRICES overrides and extends the table', async () => {
    const path = await file(
      'ok.json',
      JSON.stringify({
        'gemini-2.5-flash': { prompt: 0.3, output: 2.5, cached: 0.075 },
        'llama3.1:8b': { prompt: 0.01, output: 0.02 },
      }),
    );
    const table = loadPriceTable({ AOS_PRICES: path });
    // Re-pricing a model keeps the context window the table knows.
    expect(table['gemini-2.5-flash']).toEqual({
      prompt: 0.3,
      output: 2.5,
      cached: 0.075,
      context: 1_048_576,
      asOf: 'AOS_PRICES',
    });
    expect(table['gpt-4o-mini']).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(costOf('openai:llama3.1:8b', { prompt: 1e6, output: 1e6 }, table)).toBeCloseTo(0.03, 10);
    expect(loadPriceTable({})).toBe(DEFAULT_PRICES);
  });

  it('knows the context windows of the listed models, by any of their names', () => {
    expect(contextWindowOf('gemini:gemini-2.5-flash')).toBe(1_048_576);
    expect(contextWindowOf('openai:gpt-4o-mini-2024-07-18')).toBe(128_000);
    expect(contextWindowOf('gemini:models/gemini-2.5-pro')).toBe(1_048_576);
    for (const model of Object.keys(DEFAULT_PRICES))
      expect(DEFAULT_PRICES[model]?.context, model).toBeGreaterThanOrEqual(128_000);
    // A local model's window is the server's setting: unknown unless AOS_PRICES states it.
    expect(contextWindowOf('openai:llama3.1:8b')).toBeUndefined();
    expect(contextWindowOf('replay:/tmp/tape.yaml')).toBeUndefined();
  });

  it("AOS_PRICES states a local model's context window", async () => {
    const path = await file('ctx.json', JSON.stringify({ 'llama3.1:8b': { prompt: 0, output: 0, context: 8192 } }));
    expect(contextWindowOf('openai:llama3.1:8b', loadPriceTable({ AOS_PRICES: path }))).toBe(8192);
  });

  it('a bad AOS_PRICES file is a clear EINVAL naming the file and the problem', async () => {
    const cases: Array<[string, RegExp]> = [
      [await file('bad-json.json', '{nope'), /not JSON/],
      [await file('negative.json', JSON.stringify({ m: { prompt: -1, output: 1 } })), /m\.prompt/],
      [await file('missing.json', JSON.stringify({ m: { prompt: 1 } })), /m\.output/],
      [await file('extra.json', JSON.stringify({ m: { prompt: 1, output: 1, input: 2 } })), /m/],
      [await file('array.json', '[]'), /the file/],
      [await file('zero-context.json', JSON.stringify({ m: { prompt: 1, output: 1, context: 0 } })), /m\.context/],
      [await file('float-context.json', JSON.stringify({ m: { prompt: 1, output: 1, context: 1.5 } })), /m\.context/],
      [join(dir, 'absent.json'), /cannot read the price file \(ENOENT\)/],
    ];
    for (const [path, pattern] of cases) {
      let caught: unknown;
      try {
        loadPriceTable({ AOS_PRICES: path });
      } catch (error) {
        caught = error;
      }
      expect(caught, path).toBeInstanceOf(AosError);
      expect((caught as AosError).code).toBe('EINVAL');
      expect((caught as AosError).message).toContain(`AOS_PRICES=${path}`);
      expect((caught as AosError).message).toMatch(pattern);
    }
  });
});
