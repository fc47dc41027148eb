/** MemoryStore on a real Chroma server (no mock): the behaviour MEM_WRITE / MEM_READ are built on. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { ExternalChroma } from '../../../drivers/memory/chroma-endpoint.js';
import { heartbeat } from '../../../drivers/memory/chroma-address.js';
import { SupervisedChroma } from '../../../drivers/memory/chroma-server.js';
import { type Embedder, LocalEmbedder } from '../../../drivers/memory/embedders.js';
import { toChromaWhere } from '../../../drivers/memory/chroma-where.js';
import { idForKey, MemoryStore } from '../../../drivers/memory/memory-store.js';
import type { MemoryRecord } from '../../../drivers/memory/memory-types.js';
import { tempDir } from './helpers.js';

let dir: string;
let chroma: SupervisedChroma;
let store: MemoryStore;
let nsSeq = 0;
const ns = (): string => `aos-test-${++nsSeq}`;

beforeAll(async () => {
  dir = await tempDir('aos-memstore-');
  chroma = new SupervisedChroma({ dataDir: path.join(dir, 'chroma'), restart: { initialDelayMs: 10 } });
  store = new MemoryStore({ endpoint: chroma, embedder: new LocalEmbedder() });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A store on the same server that does not own it (as with CHROMA_URL, here an http+unix:// one). */
async function sibling(embedder: Embedder = new LocalEmbedder()): Promise<MemoryStore> {
  return new MemoryStore({ endpoint: new ExternalChroma(await chroma.ensureRunning()), embedder });
}

const FACTS: MemoryRecord[] = [
  { text: 'Alice prefers green tea in the morning', metadata: { topic: 'people', n: 1 } },
  { text: 'The CI build fails when a semicolon is missing in parser.ts', metadata: { topic: 'ci', n: 2 } },
  { text: 'Deploys happen on Fridays after the release review', metadata: { topic: 'ops', n: 3 } },
  { text: 'Bob drinks tea, never coffee', metadata: { topic: 'people', n: 4 } },
  { text: 'The staging database password rotates every 30 days', metadata: { topic: 'ops', n: 5, secret: true } },
];

describe('MemoryStore', () => {
  it('writes and reads back, ranked: the memory sharing the query words first, scores in [0, 1] descending', async () => {
    const space = ns();
    const ids = await store.write(space, FACTS);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    const hits = await store.read(space, { query: 'when do deploys happen?', k: 5 });
    expect(hits).toHaveLength(5);
    expect(hits[0]).toMatchObject({ id: ids[2], text: FACTS[2]?.text, metadata: { topic: 'ops', n: 3 } });
    for (const hit of hits) {
      expect(hit.score).toBeGreaterThanOrEqual(0);
      expect(hit.score).toBeLessThanOrEqual(1);
    }
    const scores = hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The exact text is (almost) a perfect match.
    const exact = await store.read(space, { query: FACTS[1]?.text ?? '', k: 1 });
    expect(exact[0]?.score).toBeGreaterThan(0.99);
  });

  it('k bounds the hits; an empty or new namespace gives none', async () => {
    const space = ns();
    await store.write(space, FACTS);
    expect(await store.read(space, { query: 'tea', k: 2 })).toHaveLength(2);
    expect(await store.read(space, { query: 'tea', k: 50 })).toHaveLength(5);
    expect(await store.read(ns(), { query: 'tea', k: 5 })).toEqual([]);
  });

  it('filters with where: equality, comparisons, $in, $or, and several fields at once', async () => {
    const space = ns();
    await store.write(space, FACTS);
    const texts = async (where: Record<string, unknown>): Promise<string[]> =>
      (await store.read(space, { query: 'tea', k: 10, where })).map((h) => h.text).sort();
    expect(await texts({ topic: 'people' })).toEqual([
      'Alice prefers green tea in the morning',
      'Bob drinks tea, never coffee',
    ]);
    expect(await texts({ n: { $gte: 4 } })).toHaveLength(2);
    expect(await texts({ n: { $gt: 1, $lt: 4 } })).toHaveLength(2);
    expect(await texts({ topic: { $in: ['ci', 'ops'] } })).toHaveLength(3);
    expect(await texts({ $or: [{ topic: 'ci' }, { secret: true }] })).toHaveLength(2);
    expect(await texts({ topic: 'ops', secret: true })).toEqual([
      'The staging database password rotates every 30 days',
    ]);
    expect(await texts({ topic: 'nothing' })).toEqual([]);
  });

  it('where is rewritten into the one-key-per-object form Chroma takes', () => {
    expect(toChromaWhere({ a: 1 })).toEqual({ a: 1 });
    expect(toChromaWhere({ a: 1, b: { $gt: 2, $lt: 5 } })).toEqual({
      $and: [{ a: 1 }, { b: { $gt: 2 } }, { b: { $lt: 5 } }],
    });
    expect(toChromaWhere({ $or: [{ a: 1 }] })).toEqual({ a: 1 });
    expect(toChromaWhere({ $or: [{ a: 1 }, { b: 2, c: 3 }] })).toEqual({
      $or: [{ a: 1 }, { $and: [{ b: 2 }, { c: 3 }] }],
    });
  });

  it('a bad filter that gets past validation is EINVAL, not a host failure', async () => {
    const space = ns();
    await store.write(space, FACTS);
    const error = await store
      .read(space, { query: 'x', k: 1, where: { topic: { $gt: 'a' } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AosError);
    expect(error).toMatchObject({ code: 'EINVAL' });
  });

  it('writing a key again replaces that memory (text, vector and metadata); without a key every write is new', async () => {
    const space = ns();
    const [first] = await store.write(space, [
      { text: 'the office wifi password is hunter2', key: 'wifi', metadata: { floor: 3, old: true } },
    ]);
    expect(first).toBe(idForKey('wifi'));
    const [second] = await store.write(space, [
      { text: 'the office wifi password is now correct-horse', key: 'wifi', metadata: { floor: 4 } },
    ]);
    expect(second).toBe(first);
    const hits = await store.read(space, { query: 'wifi password', k: 10 });
    expect(hits).toEqual([
      {
        id: first,
        text: 'the office wifi password is now correct-horse',
        score: expect.any(Number),
        metadata: { floor: 4 },
      },
    ]);
    const [a] = await store.write(space, [{ text: 'same text' }]);
    const [b] = await store.write(space, [{ text: 'same text' }]);
    expect(a).not.toBe(b);
    expect(await store.count(space)).toBe(3);
  });

  it('batch writes: many in one call, split at Chroma batch size, the last write of a key in a batch wins', async () => {
    const space = ns();
    const records: MemoryRecord[] = Array.from({ length: 6000 }, (_, i) => ({
      text: `note number ${i} about topic ${i % 50}`,
      metadata: { i },
    }));
    records.push({ text: 'first version', key: 'k', metadata: { i: -1 } });
    records.push({ text: 'second version', key: 'k', metadata: { i: -2 } });
    const ids = await store.write(space, records);
    expect(ids).toHaveLength(6002);
    expect(await store.count(space)).toBe(6001);
    const hits = await store.read(space, { query: 'version', k: 1, where: { i: { $lt: 0 } } });
    expect(hits[0]).toMatchObject({ text: 'second version', metadata: { i: -2 } });
    // A record from a later batch is there with its text. Found by its metadata, not by ranking: the
    // index is approximate (HNSW), and among 6,000 near-identical notes the nearest one by text is not
    // always first (it was not once, with the machine under load).
    expect((await store.read(space, { query: 'note number 4321', k: 1, where: { i: 4321 } }))[0]?.text).toBe(
      'note number 4321 about topic 21',
    );
  });

  it('refuses a namespace built by another embedder, naming both', async () => {
    const space = ns();
    await store.write(space, [{ text: 'built with the 384-dim local embedder' }]);
    const other = await sibling(new LocalEmbedder(256));
    const error = (await other.read(space, { query: 'x', k: 1 }).catch((e: unknown) => e)) as AosError;
    expect(error).toBeInstanceOf(AosError);
    expect(error.code).toBe('EIO');
    expect(error.message).toBe(
      `memory namespace ${space} was built with embedder local-hash-v1 (dim 384); this kernel uses local-hash-v1:256 (dim 256). ` +
        'Run the kernel with the same AOS_EMBEDDER, or use a fresh Chroma data dir.',
    );
    await expect(other.write(space, [{ text: 'x' }])).rejects.toThrow(/was built with embedder local-hash-v1/);
    // Same id, same dimension: fine (CHROMA_URL-style access to the same server).
    const same = await sibling();
    expect(await same.read(space, { query: 'local embedder', k: 1 })).toHaveLength(1);
    await other.close();
    await same.close();
  });

  it('survives Chroma being SIGKILLed mid-run: the next read restarts it and finds everything', async () => {
    const space = ns();
    await store.write(space, FACTS);
    const before = chroma.pid as number;
    const address = chroma.address as string;
    process.kill(before, 'SIGKILL');
    // The server inside dies a moment after the pid killed (its namespace's init goes with it), and
    // a read sent in that moment is still answered by it. Wait for the death only, not for the
    // supervisor: the read then hits the dead server (or the restart under way), recovers, retries.
    while (chroma.pid === before && (await heartbeat(address, 200)))
      await new Promise((resolve) => setTimeout(resolve, 5));
    const hits = await store.read(space, { query: 'semicolon parser', k: 1 });
    expect(hits[0]?.text).toBe(FACTS[1]?.text);
    expect(chroma.pid).not.toBe(before);
  });

  it('an aborted operation is EINTR; a slow one is ETIMEDOUT', async () => {
    const controller = new AbortController();
    controller.abort(new AosError('EINTR', 'killed'));
    await expect(store.read(ns(), { query: 'x', k: 1 }, controller.signal)).rejects.toMatchObject({ code: 'EINTR' });
    const slow: Embedder = { id: 'slow', dim: 3, maxBatch: 10, embed: () => new Promise(() => undefined) };
    const slowStore = new MemoryStore({
      endpoint: new ExternalChroma(await chroma.ensureRunning()),
      embedder: slow,
      opTimeoutMs: 50,
    });
    await expect(slowStore.read(ns(), { query: 'x', k: 1 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });
});

describe('MemoryStore persistence and failure', () => {
  it('CHROMA_URL: http(s)://host:port or http+unix://<encoded absolute socket path>; anything else is refused', () => {
    expect(new ExternalChroma('http://127.0.0.1:8000/ignored/path').describe()).toBe(
      'CHROMA_URL http://127.0.0.1:8000',
    );
    expect(new ExternalChroma('http+unix://%2Frun%2Fchroma.sock').describe()).toBe(
      'CHROMA_URL unix socket /run/chroma.sock',
    );
    expect(() => new ExternalChroma('http+unix://chroma.sock')).toThrow(/needs an absolute socket path/);
    expect(() => new ExternalChroma('ftp://127.0.0.1')).toThrow(/must be http\(s\):\/\/ or http\+unix:\/\//);
    expect(() => new ExternalChroma('not a url')).toThrow(/is not a URL/);
  });

  it('memories survive a server restart on the same data dir', async () => {
    const home = await tempDir('aos-persist-');
    try {
      const dataDir = path.join(home, 'chroma');
      const a = new MemoryStore({ endpoint: new SupervisedChroma({ dataDir }), embedder: new LocalEmbedder() });
      await a.write('aos-tree-7', FACTS);
      await a.write('aos-tree-7', [{ text: 'the launch code is 0000', key: 'launch' }]);
      await a.close();
      const b = new MemoryStore({ endpoint: new SupervisedChroma({ dataDir }), embedder: new LocalEmbedder() });
      expect(await b.count('aos-tree-7')).toBe(6);
      const hits = await b.read('aos-tree-7', { query: 'launch code', k: 1 });
      expect(hits[0]).toMatchObject({ id: idForKey('launch'), text: 'the launch code is 0000' });
      await b.close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('Chroma that cannot start: EIO "memory is unavailable: ..." with the reason', async () => {
    const home = await tempDir('aos-nochroma-');
    try {
      const endpoint = new SupervisedChroma({
        dataDir: path.join(home, 'chroma'),
        cliPath: path.join(home, 'no-such-chroma.mjs'),
        startAttempts: 1,
      });
      const broken = new MemoryStore({ endpoint, embedder: new LocalEmbedder() });
      const error = (await broken.write('aos-tree-1', [{ text: 'x' }]).catch((e: unknown) => e)) as AosError;
      expect(error).toBeInstanceOf(AosError);
      expect(error.code).toBe('EIO');
      expect(error.message).toMatch(
        /^memory is unavailable: chroma exited with code 70 before answering \/api\/v2\/heartbeat/,
      );
      // The failure is remembered for a while: the next call fails at once instead of spawning again
      // (no start begun: counted, not timed).
      const begin = vi.spyOn(endpoint as unknown as { begin: () => Promise<string> }, 'begin');
      await expect(broken.read('aos-tree-1', { query: 'x', k: 1 })).rejects.toMatchObject({ code: 'EIO' });
      expect(begin).not.toHaveBeenCalled();
      await broken.close();
      // CHROMA_URL pointing at nothing.
      const nowhere = new MemoryStore({
        endpoint: new ExternalChroma('http://127.0.0.1:1'),
        embedder: new LocalEmbedder(),
      });
      await expect(nowhere.read('aos-tree-1', { query: 'x', k: 1 })).rejects.toThrow(
        /^memory is unavailable: cannot reach Chroma at http:\/\/127\.0\.0\.1:1/,
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
