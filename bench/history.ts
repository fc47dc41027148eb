/**
 * HISTORY_SEARCH (issue 33) over a store a long-running tree filled: how long a search takes, the
 * first one (which brings the full-text index up to date) and the next ones, and how long the
 * kernel's thread is held in one piece meanwhile — the index is filled param.historyIndexChunk
 * events a step with the kernel's other work between (any process may search, so no tree's events
 * may stall the others'). A real kernel on a SQLite file: a writer tree of `--turns` turns each
 * reading a `--kb` KiB file (result events of that size), then a searcher in another tree (which
 * must find none of it), first with the index to fill, then on a restarted kernel with it kept.
 *
 *   node --import tsx bench/history.ts [--turns 2000] [--kb 16]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Kernel } from '../kernel/kernel.js';
import type { KernelEvent } from '../protocol/events.js';
import { param } from '../sys/param.js';
import { figure, flag, report } from './report.js';

const turns = Number(flag('turns', '2000'));
const kb = Number(flag('kb', '16'));
const name = flag('name', 'history');
const call = (n: string, args: Record<string, unknown>): string => `[SYS_CALL::${n}] ${JSON.stringify(args)}`;
const EXIT = call('SYS_EXIT', { code: 0 });

/** The longest the event loop went without running a 2 ms timer while `work` ran, and how long `work` took. */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; stall: number }> {
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 2);
  const start = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  // The gap the timer had no chance to see (work that held the thread to its end).
  stall = Math.max(stall, performance.now() - last);
  return { ms: performance.now() - start, stall };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-history-'));
try {
  const workspace = path.join(dir, 'ws');
  await mkdir(workspace, { recursive: true });
  const words = Array.from({ length: kb * 128 }, (_, i) => `w${(i * 7919) % 50_000}`)
    .join(' ')
    .slice(0, kb * 1024);
  await writeFile(path.join(workspace, 'page.txt'), words);
  const writer = Array.from({ length: turns }, (_, i) =>
    i === 7
      ? `${call('FS_WRITE', { path: 'needle.txt', content: 'the aardvark ledger 7731' })}\n${call('FS_READ', { path: 'needle.txt' })}`
      : call('FS_READ', { path: 'page.txt', offset: i }),
  );
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(
    tape,
    YAML.stringify({
      agents: {
        writer: [...writer, EXIT],
        searcher: [
          call('HISTORY_SEARCH', { query: 'aardvark ledger' }),
          call('HISTORY_SEARCH', { query: 'aardvark' }),
          EXIT,
        ],
      },
    }),
  );
  const kernel = await Kernel.create({
    workspace,
    rootCapabilities: ['fs.read:/**', 'fs.write:/**'],
    storeFile: path.join(dir, 'aos.db'),
    cwd: dir,
  });
  const events: KernelEvent[] = [];
  kernel.events.subscribe((e) => e.type === 'result' && e.name === 'HISTORY_SEARCH' && events.push(e));
  const root = await kernel.spawn({
    task: 'write',
    model: `replay:${tape}`,
    name: 'writer',
    maxTurns: turns + 5,
    contextTokens: 200_000,
  });
  const ended = await kernel.waitExit(root.pid);
  if (ended.exitCode !== 0 || ended.counters.turns < turns)
    throw new Error(`the writer ended after ${ended.counters.turns} turns: ${ended.exitReason ?? ''}`);
  await kernel.store.committed();
  // Another tree's search: it indexes everything, finds nothing of the writer's.
  const other = await timed(async () =>
    kernel.waitExit((await kernel.spawn({ task: 'search', model: `replay:${tape}`, name: 'searcher' })).pid),
  );
  // Hits of the writer's past (its pid): none may reach another tree.
  const otherHits = events.map(
    (e) =>
      ((e as { value?: { hits?: Array<{ pid: number }> } }).value?.hits ?? []).filter((hit) => hit.pid === root.pid)
        .length,
  );
  // Again on a restarted kernel: the index is kept, the search only searches.
  await kernel.close();
  const again = await Kernel.create({
    workspace,
    rootCapabilities: ['fs.read:/**', 'fs.write:/**'],
    storeFile: path.join(dir, 'aos.db'),
    cwd: dir,
  });
  const warm = await timed(async () =>
    again.waitExit((await again.spawn({ task: 'search', model: `replay:${tape}`, name: 'searcher' })).pid),
  );
  await again.shutdown();
  const indexedEvents = turns * 4;
  report(
    name,
    {
      turns,
      result_kb: kb,
      events_about: indexedEvents,
      index_chunk: param.historyIndexChunk,
      other_tree_hits: otherHits,
    },
    [
      figure(
        `${name}.first_search_ms`,
        other.ms,
        'ms',
        `the first HISTORY_SEARCH after a tree made ${turns} results of ${kb} KiB (the index brought up to date, two searches, spawn to exit)`,
      ),
      figure(
        `${name}.first_search_worst_stall_ms`,
        other.stall,
        'ms',
        "the longest the kernel's thread was held in one piece meanwhile",
        { max: 250 },
      ),
      figure(
        `${name}.warm_search_ms`,
        warm.ms,
        'ms',
        'the same two searches once the index is up to date (spawn to exit)',
      ),
      figure(
        `${name}.other_tree_hits`,
        otherHits.reduce((a, b) => a + b, 0),
        'hits',
        "hits of another tree's searches in the writer's past",
        { max: 0 },
      ),
    ],
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
