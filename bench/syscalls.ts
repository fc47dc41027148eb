/**
 * Per-syscall cost with many active agents: for each workload (bench/syscall-workloads.ts), N agents
 * make the same calls every turn against a zero-latency model, persistence on (a real SQLite file).
 * Reports each syscall's latency p50/p99 (its `syscall` event to its `result` event) and the CPU
 * µs per turn of each workload. Targets: non-I/O calls p50 ≤ 0.2 ms, p99 ≤ 2 ms; ≤ 190 µs per turn.
 *
 *   node --import tsx bench/syscalls.ts [--agents 1000] [--turns 10] [--only FS_LIST,SLEEP] [--dir /dev/shm]
 *
 * --dir holds the workspace and the store (default: the temp dir); on tmpfs the FS figures show
 * the kernel's own cost without the disk's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kernel } from '../kernel/kernel.js';
import { type LatencyStats, LatencyRecorder } from './syscall-latency.js';
import { seedWorkspace, type Workload, workloadModel, WORKLOADS } from './syscall-workloads.js';
import { type Figure, figure, flag, report } from './report.js';

const agents = Number(flag('agents', '1000'));
const turns = Number(flag('turns', '10'));
const only = flag('only', '').split(',').filter(Boolean);
const base = flag('dir', os.tmpdir());

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

async function run(workload: Workload, count: number): Promise<RunResult> {
  const dir = await mkdtemp(path.join(base, 'aos-bench-syscalls-'));
  const workspace = path.join(dir, 'ws');
  await seedWorkspace(workspace);
  const kernel = await Kernel.create({
    workspace,
    rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'ipc', 'timer', 'spawn'],
    storeFile: path.join(dir, 'aos.db'),
  });
  try {
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
report(
  'syscalls',
  { agents, turns_per_agent: turns, dir: base, results },
  results.flatMap((result, i) => figuresOf(result, chosen[i] as Workload, i === 0)),
);
