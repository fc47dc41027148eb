/**
 * Memory on a real Chroma server: bulk MEM_WRITE throughput (the driver's batch path), MEM_READ
 * latency straight on the driver, and single MEM_WRITE / MEM_READ latency through the whole
 * syscall path (replay model, parse, validate, dispatch, store commit, embed, Chroma), each at
 * collections of 10k and 100k memories (local-hash-v1 embedder, 384 dims).
 *
 *   node --import tsx bench/memory.ts [--sizes 10000,100000] [--queries 300] [--calls 200]
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { SupervisedChroma } from '../drivers/memory/chroma-server.js';
import { LocalEmbedder } from '../drivers/memory/embedders.js';
import { MemoryStore, treeNamespace } from '../drivers/memory/memory-store.js';
import type { MemoryRecord } from '../drivers/memory/memory-types.js';
import type { KernelEvent } from '../protocol/events.js';
import { Kernel } from '../kernel/kernel.js';
import { figure, flag, report } from './report.js';
import { seededRandom } from '../test/helpers/seeded-random.js';

const sizes = flag('sizes', '10000,100000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const queries = Number(flag('queries', '300'));
const calls = Number(flag('calls', '200'));
const BATCH = 2500;
const CALLS_PER_REPLY = 25;

const random = seededRandom(42);
const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'tu', 'ne', 'so', 'vi', 'de', 'pa', 'gu', 'fe', 'zo', 'ri', 'ba', 'ty'];
const VOCAB = Array.from({ length: 3000 }, () =>
  Array.from({ length: 2 + Math.floor(random() * 3) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(
    '',
  ),
);
const TOPICS = ['ops', 'ci', 'people', 'product', 'security', 'billing', 'infra', 'docs'];

function sentence(r: () => number, words: number): string {
  return Array.from({ length: words }, () => VOCAB[Math.floor(r() * VOCAB.length)]).join(' ');
}

function memory(i: number): MemoryRecord {
  const r = seededRandom(i + 1);
  return {
    text: `fact ${i}: ${sentence(r, 10 + Math.floor(r() * 10))}`,
    metadata: { topic: TOPICS[i % TOPICS.length] as string, n: i },
  };
}

/** A query made from half the words of memory i, shuffled: its source should rank near the top. */
function queryFor(i: number): string {
  const words = (memory(i).text.split(': ')[1] ?? '').split(' ');
  const r = seededRandom(1_000_003 + i);
  return (
    words
      .filter(() => r() < 0.5)
      .sort(() => r() - 0.5)
      .join(' ') ||
    (words[0] ?? 'x')
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function stats(samples: number[]): { n: number; p50_ms: number; p99_ms: number; mean_ms: number; max_ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 100) / 100;
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    mean_ms: round(mean),
    max_ms: round(sorted[sorted.length - 1] ?? 0),
  };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await dirBytes(full) : (await stat(full)).size;
  }
  return total;
}

/** MEM_WRITE then MEM_READ `calls` times each through a kernel whose memory is the server at `url`. */
async function syscallPath(
  dir: string,
  url: string,
  n: number,
): Promise<{ mem_write: ReturnType<typeof stats>; mem_read: ReturnType<typeof stats>; failed: number }> {
  const writes: string[] = [];
  const reads: string[] = [];
  for (let c = 0; c < calls; c++) {
    writes.push(
      `[SYS_CALL::MEM_WRITE] ${JSON.stringify({ text: `new fact ${c}: ${sentence(seededRandom(7_000_000 + c), 14)}`, metadata: { topic: 'bench', c } })}`,
    );
    reads.push(
      `[SYS_CALL::MEM_READ] ${JSON.stringify({ query: queryFor(Math.floor(seededRandom(9_000_000 + c)() * n)), k: 5 })}`,
    );
  }
  const chunk = (list: string[]): string[] =>
    Array.from({ length: Math.ceil(list.length / CALLS_PER_REPLY) }, (_, i) =>
      list.slice(i * CALLS_PER_REPLY, (i + 1) * CALLS_PER_REPLY).join('\n'),
    );
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(
    tape,
    YAML.stringify({ agents: { root: [...chunk(writes), ...chunk(reads), '[SYS_CALL::SYS_EXIT] {"code":0}'] } }),
  );
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ['mem'],
    storeFile: path.join(dir, 'aos.db'),
    cwd: dir,
    memory: { url },
  });
  const started = new Map<string, number>();
  const samples: Record<string, number[]> = { MEM_WRITE: [], MEM_READ: [] };
  let failed = 0;
  kernel.events.subscribe((e: KernelEvent) => {
    if (e.type === 'syscall') started.set(`${e.turn}:${e.seq}`, performance.now());
    if (e.type === 'result') {
      const t0 = started.get(`${e.turn}:${e.seq}`);
      if (t0 !== undefined && samples[e.name]) samples[e.name]?.push(performance.now() - t0);
      if (!e.ok) failed++;
    }
  });
  // The tree of pid 1 is the namespace the bulk load filled.
  const pcb = await kernel.spawn({ task: 'bench', model: `replay:${tape}`, maxTurns: 1000 });
  const done = await kernel.waitExit(pcb.pid);
  if (done.exitCode !== 0) failed++;
  await kernel.close();
  return { mem_write: stats(samples.MEM_WRITE ?? []), mem_read: stats(samples.MEM_READ ?? []), failed };
}

const results: Array<Record<string, unknown>> = [];
for (const n of sizes) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-memory-'));
  const chroma = new SupervisedChroma({ dataDir: path.join(dir, 'chroma') });
  const store = new MemoryStore({ endpoint: chroma, embedder: new LocalEmbedder(), opTimeoutMs: 600_000 });
  const namespace = treeNamespace(1);
  try {
    const t0 = performance.now();
    const url = await chroma.ensureRunning();
    const startMs = performance.now() - t0;

    // What embedding alone costs (a sample; the load below embeds inside store.write).
    const sample = Array.from({ length: Math.min(n, 5000) }, (_, i) => memory(i).text);
    const e0 = performance.now();
    await new LocalEmbedder().embed(sample);
    const embedUs = ((performance.now() - e0) * 1000) / sample.length;

    // Bulk load through the driver's batch path (embed + upsert per batch).
    const loadStart = performance.now();
    for (let i = 0; i < n; i += BATCH) {
      const records = Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => memory(i + j));
      await store.write(namespace, records);
      if ((i / BATCH) % 8 === 0) process.stderr.write(`bench memory: ${n}: loaded ${i + records.length}\n`);
    }
    const loadMs = performance.now() - loadStart;

    // MEM_READ latency on the driver (k=5), and how often the source memory is in the top 5.
    const readSamples: number[] = [];
    let found = 0;
    const r = seededRandom(123);
    for (let q = 0; q < queries; q++) {
      const target = Math.floor(r() * n);
      const q0 = performance.now();
      const hits = await store.read(namespace, { query: queryFor(target), k: 5 });
      readSamples.push(performance.now() - q0);
      if (hits.some((h) => h.metadata.n === target)) found++;
    }
    const filtered: number[] = [];
    for (let q = 0; q < Math.min(queries, 100); q++) {
      const q0 = performance.now();
      await store.read(namespace, { query: queryFor(Math.floor(r() * n)), k: 5, where: { topic: 'ops' } });
      filtered.push(performance.now() - q0);
    }

    const viaSyscalls = await syscallPath(dir, url, n);
    results.push({
      memories: n,
      chroma_start_ms: Math.round(startMs),
      bulk_write: {
        batch: BATCH,
        elapsed_ms: Math.round(loadMs),
        per_s: Math.round(n / (loadMs / 1000)),
        embedding_us_per_memory: Math.round(embedUs),
      },
      mem_read_driver: { k: 5, ...stats(readSamples), recall_at_5: Math.round((found / queries) * 1000) / 1000 },
      mem_read_driver_where: { k: 5, where: { topic: 'ops' }, ...stats(filtered) },
      syscall_path: { ...viaSyscalls, note: 'one call at a time, from the syscall event to its result event' },
      data_dir_mb: Math.round((await dirBytes(path.join(dir, 'chroma'))) / 1024 / 1024),
    });
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const first = results[0] as { mem_read_driver?: { p50_ms?: number; p99_ms?: number }; memories?: number } | undefined;
report(
  'memory',
  { embedder: new LocalEmbedder().id, dim: new LocalEmbedder().dim, cpus: os.cpus().length, sizes: results },
  first?.mem_read_driver?.p50_ms === undefined
    ? []
    : [
        figure(
          'memory.read_p50_ms',
          first.mem_read_driver.p50_ms,
          'ms',
          `MEM_READ k=5 over ${first.memories} memories, driver path (p50)`,
          { max: 20 },
        ),
      ],
);
