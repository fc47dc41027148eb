/**
 * The context curve: one agent reads a large file every turn for T turns (replay model, so the
 * extractive summary stands in for the model's). Every request the model receives is measured at
 * the driver (system prompt + messages, the kernel's chars/4 estimate) and compared with the
 * process's context budget: the maximum must never exceed it and the curve must stay flat.
 *
 *   node --import tsx bench/context.ts [--turns 200] [--file-kb 60] [--budget 32000]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadTape, replayTape } from '../drivers/llm/replay.js';
import type { ModelDriver } from '../drivers/llm/types.js';
import { estimateTokens } from '../kernel/loop/compaction.js';
import { Kernel } from '../kernel/kernel.js';
import { figure, flag, report } from './report.js';

const turns = Number(flag('turns', '200'));
const fileKb = Number(flag('file-kb', '60'));
const budget = Number(flag('budget', '32000'));
/** `context` reads 60 KB a turn (the budget's worst case); `context-cache` 4 KB (an agent's usual turn), where the cache target applies. */
const name = flag('name', 'context');

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Lines of text, as a log or a source file would be (JSON escapes each newline). */
function bigFile(bytes: number, tag: number): string {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const line = `file ${tag} line ${String(i).padStart(5, '0')}: the quick brown fox jumps over the lazy dog`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`.slice(0, bytes);
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-context-'));
const workspace = path.join(dir, 'ws');
await mkdir(path.join(workspace, 'data'), { recursive: true });
const files = 4;
for (let i = 0; i < files; i++)
  await writeFile(path.join(workspace, 'data', `big-${i}.txt`), bigFile(fileKb * 1024, i));
const replies = Array.from(
  { length: turns - 1 },
  (_, i) => `Reading part ${i}.\n[SYS_CALL::FS_READ] {"path":"/data/big-${i % files}.txt"}`,
);
const tape = path.join(dir, 'tape.yaml');
await writeFile(tape, YAML.stringify({ agents: { root: [...replies, '[SYS_CALL::SYS_EXIT] {"code":0}'] } }));

const kernel = await Kernel.create({
  workspace,
  rootCapabilities: ['fs.read:/**'],
  storeFile: path.join(dir, 'aos.db'),
});
const model = `replay:${tape}`;
const replay = replayTape(await loadTape(tape, { maxBytes: 1 << 20 }), model);
const sizes: number[] = [];
/**
 * Prompt caching: the share of each request that is the request before it, unchanged, from its
 * first character (a provider's prompt cache serves exactly such a prefix at a tenth of the price).
 * Measured between compactions: a compaction rewrites the context once, on purpose.
 */
const prefixShares: number[] = [];
let appendOnly = 0;
let previous = '';
let compactedSince = false;
const measured: ModelDriver = {
  id: replay.id,
  complete(request) {
    sizes.push(estimateTokens(request.system, request.messages));
    const text = [request.system, ...request.messages.map((m) => `${m.role}\u0000${m.text}`)].join('\u0001');
    if (previous !== '' && !compactedSince) {
      let same = 0;
      const n = Math.min(previous.length, text.length);
      while (same < n && previous.charCodeAt(same) === text.charCodeAt(same)) same++;
      prefixShares.push(same / text.length);
      if (same === previous.length) appendOnly++;
    }
    previous = text;
    compactedSince = false;
    return replay.complete(request);
  },
};
// The registry loads a model once per name: this name's driver is the measuring wrapper.
await kernel.models.get(model, () => Promise.resolve(measured));

let compactions = 0;
kernel.events.subscribe((e) => {
  if (e.type === 'state' && e.reason?.startsWith('context compacted')) {
    compactions++;
    compactedSince = true;
  }
});
const t0 = performance.now();
const pcb = await kernel.spawn({
  task: 'Read the data files, part by part.',
  model,
  maxTurns: turns + 10,
  contextTokens: budget,
});
const done = await kernel.waitExit(pcb.pid);
const elapsedMs = performance.now() - t0;
kernel.store.flush();
const stored = kernel.store.transcripts.length(pcb.pid);
await kernel.close();
await rm(dir, { recursive: true, force: true });

const max = Math.max(...sizes);
const mid = mean(sizes.slice(50, 100));
const tail = mean(sizes.slice(-50));
const over = sizes.filter((s) => s > budget).length;
const cacheTarget = name === 'context-cache' ? { min: 0.9 } : undefined;
report(
  name,
  {
    turns,
    file_kb: fileKb,
    budget_tokens: budget,
    exit_code: done.exitCode,
    exit_reason: done.exitReason,
    requests: sizes.length,
    compactions,
    stored_transcript_rows: stored,
    elapsed_ms: Math.round(elapsedMs),
    max_prompt_tokens: max,
    mean_turns_50_100: Math.round(mid),
    mean_last_50: Math.round(tail),
    requests_over_budget: over,
    /** Estimated prompt tokens of every request, in order: the chart's samples. */
    samples: sizes,
  },
  [
    figure(
      `${name}.max_prompt_tokens`,
      max,
      'tokens',
      `largest request in ${turns} turns reading a ${fileKb} KB file each, budget ${budget}`,
      { max: budget },
    ),
    figure(`${name}.requests_over_budget`, over, 'requests', 'requests whose estimated size exceeded the budget', {
      max: 0,
    }),
    figure(
      `${name}.tail_vs_middle`,
      mid > 0 ? tail / mid : 0,
      'ratio',
      'mean request size, last 50 turns ÷ turns 50–100 (flat: ≤ 1.1)',
      { max: 1.1 },
    ),
    figure(`${name}.exit_code`, done.exitCode ?? -1, 'code', 'the agent ran all its turns and exited 0', {
      max: 0,
      min: 0,
    }),
    figure(
      `${name}.mean_prompt_tokens`,
      mean(sizes),
      'tokens',
      'mean request size (what a turn costs in prompt tokens)',
    ),
    figure(
      `${name}.stable_prefix_share`,
      mean(prefixShares),
      'share',
      `of each request, the part that is the request before it unchanged from the start (what a prompt cache serves), between compactions, reading ${fileKb} KB a turn`,
      cacheTarget,
    ),
    figure(
      `${name}.append_only_share`,
      prefixShares.length ? appendOnly / prefixShares.length : 0,
      'share',
      'requests whose whole predecessor is their prefix: nothing sent before was changed (between compactions)',
      { min: 1 },
    ),
    figure(
      `${name}.compactions_per_100_turns`,
      (compactions / turns) * 100,
      'compactions',
      'how often the context is summarised (a model call each with a real provider)',
    ),
  ],
);
