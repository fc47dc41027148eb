/** The embedders: the local one's guarantees, spec parsing, and the provider ones against fake servers. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalEmbedder } from '../../../drivers/memory/embedders.js';
import { embedderFromSpec, GeminiEmbedder, OpenAIEmbedder } from '../../../drivers/memory/provider-embedders.js';

const cosine = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe('LocalEmbedder (local-hash-v1)', () => {
  const e = new LocalEmbedder();
  const one = (text: string): number[] => e.embedOne(text);

  it('is deterministic, 384-dimensional and L2-normalised', async () => {
    const [a, b] = await e.embed(['The deploy key is in vault', 'The deploy key is in vault'], 'document');
    expect(one('The deploy key is in vault')).toEqual(a);
    expect(a).toEqual(b);
    expect(a).toHaveLength(384);
    expect(e.dim).toBe(384);
    expect(e.id).toBe('local-hash-v1');
    expect(Math.hypot(...(a as number[]))).toBeCloseTo(1, 10);
    // Pinned: stored vectors must stay comparable with new ones. A change here needs a new embedder id.
    const nonZero = (a as number[]).flatMap((x, i) => (x === 0 ? [] : [[i, Math.round(x * 1e6)]]));
    expect(nonZero).toHaveLength(34);
    expect(nonZero.slice(0, 4)).toEqual([
      [1, -121130],
      [11, -121130],
      [18, 121130],
      [21, -121130],
    ]);
  });

  it('ranks the text that shares the query words first', () => {
    const query = one('where is the deploy key stored?');
    const texts = [
      'Alice prefers green tea in the morning',
      'The deploy key is stored in vault under ops/deploy',
      'The build is red because of a flaky test',
      'Keys to the office are at the front desk',
    ];
    const scores = texts.map((t) => cosine(query, one(t)));
    const best = scores.indexOf(Math.max(...scores));
    expect(texts[best]).toContain('deploy key');
  });

  it('tolerates typos and inflections through character n-grams', () => {
    const typo = cosine(one('recieve the payment'), one('receive the payment'));
    const unrelated = cosine(one('recieve the payment'), one('schedule a meeting'));
    expect(typo).toBeGreaterThan(0.5);
    expect(typo).toBeGreaterThan(unrelated + 0.3);
    expect(cosine(one('deployment failed'), one('the deploy failed'))).toBeGreaterThan(0.4);
  });

  it('is weak on meaning: synonyms with no shared words score low (documented)', () => {
    expect(cosine(one('car'), one('automobile'))).toBeLessThan(0.3);
  });

  it('folds case and accents, and damps stop words', () => {
    expect(cosine(one('Café RÉSUMÉ'), one('cafe resume'))).toBeCloseTo(1, 6);
    // Sharing only "the ... of the" is worth far less than sharing a content word.
    const stopOnly = cosine(one('the history of the war'), one('the colour of the sky'));
    const content = cosine(one('the history of the war'), one('war stories'));
    expect(content).toBeGreaterThan(stopOnly);
  });

  it('gives a unit vector even for text without words', () => {
    for (const text of ['?!', '   ', '🙂🙂']) expect(Math.hypot(...one(text))).toBeCloseTo(1, 10);
  });

  it('takes another dimension, with another id', () => {
    const small = new LocalEmbedder(256);
    expect(small.id).toBe('local-hash-v1:256');
    expect(small.embedOne('x')).toHaveLength(256);
    expect(() => new LocalEmbedder(3)).toThrow(/dimension/);
  });
});

describe('embedderFromSpec (AOS_EMBEDDER)', () => {
  it('parses local, gemini and openai specs', () => {
    expect(embedderFromSpec(undefined).id).toBe('local-hash-v1');
    expect(embedderFromSpec('local').id).toBe('local-hash-v1');
    expect(embedderFromSpec('local:256')).toMatchObject({ id: 'local-hash-v1:256', dim: 256 });
    expect(embedderFromSpec('gemini:gemini-embedding-001', {})).toMatchObject({
      id: 'gemini:gemini-embedding-001',
      dim: null,
    });
    expect(embedderFromSpec('gemini:gemini-embedding-001:768', {})).toMatchObject({
      id: 'gemini:gemini-embedding-001:768',
      dim: 768,
    });
    expect(embedderFromSpec('openai:text-embedding-3-small', {})).toBeInstanceOf(OpenAIEmbedder);
    // Model names may hold colons (Ollama tags); only a trailing number is a dimension.
    expect(embedderFromSpec('openai:nomic-embed-text:latest', {}).id).toBe('openai:nomic-embed-text:latest');
  });

  it('refuses a malformed spec loudly', () => {
    expect(() => embedderFromSpec('bert')).toThrow(/not one of local, gemini:<model>, openai:<model>/);
    expect(() => embedderFromSpec('gemini:')).toThrow(/name the model/);
    expect(() => embedderFromSpec('local:big')).toThrow(/local:<dimension>/);
  });

  it('reports a missing API key on first use, not at start', async () => {
    const e = embedderFromSpec('gemini:gemini-embedding-001', {});
    await expect(e.embed(['x'], 'document')).rejects.toThrow(/needs GEMINI_API_KEY or GOOGLE_API_KEY/);
  });
});

describe('provider embedders against fake servers', () => {
  let server: http.Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  async function fake(
    handler: (path: string, body: Record<string, unknown>, headers: http.IncomingHttpHeaders) => unknown,
  ): Promise<string> {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const out = handler(req.url ?? '', JSON.parse(raw || '{}') as Record<string, unknown>, req.headers);
        res.setHeader('content-type', 'application/json');
        if (out === null) {
          res.statusCode = 500;
          res.end('{"error":"boom"}');
        } else res.end(JSON.stringify(out));
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
  }

  it('Gemini: batchEmbedContents with a retrieval task type; dim learned from the first answer', async () => {
    const seen: Array<{ path: string; body: Record<string, unknown>; key: unknown }> = [];
    const base = await fake((path, body, headers) => {
      seen.push({ path, body, key: headers['x-goog-api-key'] });
      const requests = body.requests as unknown[];
      return { embeddings: requests.map((_, i) => ({ values: [i + 1, 0, 0, 1] })) };
    });
    const e = new GeminiEmbedder({ model: 'gemini-embedding-001', apiKey: 'test-key', baseUrl: base });
    expect(e.dim).toBeNull();
    expect(await e.embed(['a', 'b'], 'document')).toEqual([
      [1, 0, 0, 1],
      [2, 0, 0, 1],
    ]);
    expect(e.dim).toBe(4);
    await e.embed(['q'], 'query');
    expect(seen[0]?.path).toMatch(/models\/gemini-embedding-001:batchEmbedContents$/);
    expect(seen[0]?.key).toBe('test-key');
    expect(JSON.stringify(seen[0]?.body)).toContain('RETRIEVAL_DOCUMENT');
    expect(JSON.stringify(seen[1]?.body)).toContain('RETRIEVAL_QUERY');
  });

  it('OpenAI-compatible: POST /embeddings, reordered by index, errors name the status but not the key', async () => {
    let auth: unknown;
    const base = await fake((path, body, headers) => {
      auth = headers.authorization;
      if ((body.input as string[])[0] === 'fail') return null;
      expect(path).toBe('/v1/embeddings');
      expect(body.model).toBe('nomic-embed-text');
      return {
        data: [
          { index: 1, embedding: [0, 1] },
          { index: 0, embedding: [1, 0] },
        ],
      };
    });
    const e = new OpenAIEmbedder({ model: 'nomic-embed-text', apiKey: 'sk-secret', baseUrl: `${base}/v1/` });
    expect(await e.embed(['first', 'second'], 'document')).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(auth).toBe('Bearer sk-secret');
    const error = await e.embed(['fail'], 'document').catch((err: unknown) => err as Error);
    expect(String(error)).toMatch(/answered 500/);
    expect(String(error)).not.toContain('sk-secret');
  });

  it('refuses a vector of the wrong dimension', async () => {
    const base = await fake((_p, body) => ({
      data: (body.input as string[]).map((t, index) => ({ index, embedding: t === 'long' ? [1, 2, 3] : [1, 2] })),
    }));
    const e = new OpenAIEmbedder({ model: 'm', apiKey: undefined, baseUrl: base });
    await e.embed(['short'], 'document');
    await expect(e.embed(['long'], 'document')).rejects.toThrow(/dimension 3, expected 2/);
  });
});
