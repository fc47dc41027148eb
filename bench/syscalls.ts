/**
 * Per-syscall cost with many active agents: for each workload (bench/syscall-workloads.ts), N agents
 * make the same calls every turn against a zero-latency model, persistence on (a real SQLite file).
 * Reports each syscall's latency p50/p99 (its `syscall` event to its `result` event) and the CPU
 * µs per turn of each workload. Targets: non-I/O calls p50 ≤ 0.2 ms, p99 ≤ 2 ms; ≤ 190 µs per turn.
 *
 * Then each optional feature's price a turn (bench/syscall-features.ts): its workload with the
 * feature configured beside the same workload with none, `--feature-agents` agents each, alternated
 * `--feature-rounds` times (the least of each side is kept: load on a shared machine only adds).
 *
 *   node --import tsx bench/syscalls.ts [--agents 1000] [--turns 10] [--only FS_LIST,SLEEP] [--dir /dev/shm]
 *     [--feature-agents 200] [--feature-rounds 2] [--features none|FS_WRITE.taint,...] [--feature-dir /dev/shm]
 *
 * --dir holds the workspace and the store (default: the temp dir); on tmpfs the FS figures show
 * the kernel's own cost without the disk's.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kernel } from '../kernel/kernel.js';
import { type Feature, FEATURES } from './syscall-features.js';
import { type LatencyStats, LatencyRecorder } from './syscall-latency.js';
import { seedWorkspace, type Workload, workloadModel, WORKLOADS } from './syscall-workloads.js';
import { type Figure, figure, flag, report } from './report.js';

const agents = Number(flag('agents', '1000'));
const turns = Number(flag('turns', '10'));
const only = flag('only', '').split(',').filter(Boolean);
const base = flag('dir', os.tmpdir());
const featureAgents = Number(flag('feature-agents', '200'));
const featureRounds = Number(flag('feature-rounds', '2'));
// On ext4 without a journal a create costs more the more files were replaced in the last minute
// (bench/fs-create.ts), so on the temp dir each FS_WRITE run would pay for the one before it:
// features are compared on tmpfs, where the host's part stays put, unless told otherwise.
const featureBase = flag('feature-dir', existsSync('/dev/shm') ? '/dev/shm' : base);
const features = flag('features', '').split(',').filter(Boolean);

interface RunResult {
  workload: string;
  turns: number;
  failed_agents: number;
  cpu_us_per_turn: number;
  /** The part of it spent in the host kernel (file systems, SQLite's writes): the disk's cost, not aos's. */
  sys_us_per_turn: number;
  turns_per_s: number;
  latency: Record<string, LatencyStats>;
}

async function run(workload: Workload, count: number, feature?: Feature | null): Promise<RunResult> {
  const dir = await mkdtemp(path.join(feature === undefined ? base : featureBase, 'aos-bench-syscalls-'));
  const workspace = path.join(dir, 'ws');
  await seedWorkspace(workspace);
  const kernel = await Kernel.create({
    workspace,
    rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'ipc', 'timer', 'spawn'],
    storeFile: path.join(dir, 'aos.db'),
    ...feature?.options?.(dir),
  });
  try {
    feature?.setup?.(kernel);
    const model = `replay:${path.join(dir, workload.name)}`;
    await kernel.models.get(model, async () => workloadModel(model, workload, turns));
    const recorder = new LatencyRecorder(kernel.events);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const pcbs = await Promise.all(Array.from({ length: count }, () => kernel.spawn({ task: 'bench', model })));
    await Promise.all(pcbs.map((p) => kernel.waitExit(p.pid)));
    kernel.store.flush();
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const failed = pcbs.filter((p) => kernel.pcb(p.pid)?.exitCode !== 0).length;
    return {
      workload: workload.name,
      turns: recorder.turns,
      failed_agents: failed,
      cpu_us_per_turn: Math.round((cpu.user + cpu.system) / recorder.turns),
      sys_us_per_turn: Math.round(cpu.system / recorder.turns),
      turns_per_s: Math.round(recorder.turns / elapsedS),
      latency: recorder.stats(),
    };
  } finally {
    await kernel.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every workload ends with SYS_EXIT: its figures come from the first one only (`withExit`). */
function figuresOf(result: RunResult, workload: Workload, withExit: boolean): Figure[] {
  const key = `syscalls.${result.workload}`;
  const what = `${agents} agents, ${workload.name} every turn`;
  const out = [
    figure(`${key}.cpu_us_per_turn`, result.cpu_us_per_turn, 'µs', `kernel CPU per turn, ${what}`, { max: 190 }),
    figure(`${key}.failed_agents`, result.failed_agents, 'agents', `agents that did not exit 0, ${what}`, { max: 0 }),
  ];
  for (const [name, stats] of Object.entries(result.latency)) {
    if (name === 'SYS_EXIT' && !withExit) continue;
    const blurb = name === 'WAIT' ? 'from the child’s exit to the result' : 'syscall event to result event';
    // The targets are for calls that do no host I/O; the FS calls are reported for reference.
    const io = workload.io && name !== 'SYS_EXIT';
    out.push(
      figure(
        `${key}.${name}.p50_ms`,
        stats.p50_ms,
        'ms',
        `${name} latency p50 (${blurb}), ${what}`,
        io ? null : { max: 0.2 },
      ),
    );
    out.push(
      figure(
        `${key}.${name}.p99_ms`,
        stats.p99_ms,
        'ms',
        `${name} latency p99 (${blurb}), ${what}`,
        io ? null : { max: 2 },
      ),
    );
  }
  return out;
}

const chosen = WORKLOADS.filter((w) => only.length === 0 || only.includes(w.name));
// A small run first so the figures measure a warm JIT, not the first workload's compilation.
for (const workload of chosen) await run(workload, Math.min(agents, 100));
const results: RunResult[] = [];
for (const workload of chosen) {
  const result = await run(workload, agents);
  results.push(result);
  process.stderr.write(
    `syscalls: ${workload.name}: ${result.cpu_us_per_turn} µs/turn (sys ${result.sys_us_per_turn}), ${JSON.stringify(result.latency)}\n`,
  );
}

/** Each feature beside its plain workload, alternated; the least CPU a turn of each side. */
async function featureFigures(): Promise<{ details: Record<string, unknown>; figures: Figure[] }> {
  const picked = FEATURES.filter((f) => (features.length === 0 ? true : features.includes(f.name)));
  if (features.includes('none') || featureAgents <= 0) return { details: {}, figures: [] };
  const workloadOf = (name: string): Workload => WORKLOADS.find((w) => w.name === name) as Workload;
  const least = new Map<string, number>();
  const keep = (key: string, result: RunResult): void => {
    if (result.failed_agents > 0) throw new Error(`${key}: ${result.failed_agents} agents did not exit 0`);
    least.set(key, Math.min(least.get(key) ?? Infinity, result.cpu_us_per_turn));
  };
  for (let round = 0; round < featureRounds; round++) {
    for (const plain of new Set(picked.map((f) => f.workload)))
      keep(plain, await run(workloadOf(plain), featureAgents, null));
    for (const feature of picked) keep(feature.name, await run(workloadOf(feature.workload), featureAgents, feature));
  }
  const figures: Figure[] = [];
  for (const plain of new Set(picked.map((f) => f.workload))) {
    const what = `${featureAgents} agents, ${plain} every turn in ${featureBase}, no feature configured (the base of the features below)`;
    figures.push(figure(`syscalls.features.${plain}.plain_us_per_turn`, least.get(plain) ?? 0, 'µs', what));
  }
  for (const feature of picked) {
    const ran = least.get(feature.name) ?? 0;
    const plain = least.get(feature.workload) ?? 0;
    const added = feature.removes ? plain - ran : ran - plain;
    const key = `syscalls.features.${feature.name}`;
    figures.push(figure(`${key}.cpu_us_per_turn`, ran, 'µs', `${featureAgents} agents: ${feature.what}`));
    const what = `what it adds to a turn of ${feature.workload} where it is used (within this machine's noise, ~±30 µs under load)`;
    figures.push(figure(`${key}.added_us_per_turn`, added, 'µs', what));
    process.stderr.write(`syscalls: feature ${feature.name}: ${ran} µs/turn, adds ${added} µs a turn\n`);
  }
  return { details: Object.fromEntries(least), figures };
}

const featured = await featureFigures();
report(
  'syscalls',
  { agents, turns_per_agent: turns, dir: base, results, feature_dir: featureBase, features: featured.details },
  [...results.flatMap((result, i) => figuresOf(result, chosen[i] as Workload, i === 0)), ...featured.figures],
);
