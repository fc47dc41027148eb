/**
 * Kernel overhead: N agents × T turns against a zero-latency replay model, one trivial syscall
 * per turn, persistence on (a real SQLite file). Reports turns/s, CPU µs per turn and heap.
 *
 *   node --import tsx bench/turns.ts [--agents 1000] [--turns 10] [--syscall SYS_WRITE_STDOUT]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Kernel } from '../kernel/kernel.js';
import { figure, flag, report } from './report.js';

const agents = Number(flag('agents', '1000'));
const turns = Number(flag('turns', '10'));
const syscall = flag('syscall', 'FS_LIST');
const name = flag('name', 'turns');

const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-turns-'));
const reply = syscall === 'FS_LIST' ? '[SYS_CALL::FS_LIST] {"path":"/"}' : `[SYS_CALL::${syscall}] {"text":"x"}`;
const tape = path.join(dir, 'tape.yaml');
const list = Array.from({ length: turns - 1 }, () => reply);
// Distinct replies so the loop detector does not (rightly) end the agents early.
const varied = list.map((r, i) => `step ${i}\n${r}`);
await writeFile(tape, YAML.stringify({ agents: { root: [...varied, '[SYS_CALL::SYS_EXIT] {"code":0}'] } }));

const kernel = await Kernel.create({
  workspace: path.join(dir, 'ws'),
  rootCapabilities: ['fs.read:/**', 'fs.write:/**'],
  storeFile: path.join(dir, 'aos.db'),
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const pcbs = await Promise.all(
  Array.from({ length: agents }, () => kernel.spawn({ task: 'bench', model: `replay:${tape}` })),
);
await Promise.all(pcbs.map((p) => kernel.waitExit(p.pid)));
kernel.store.flush();
const elapsedMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const total = agents * turns;
const failed = pcbs.filter((p) => kernel.pcb(p.pid)?.exitCode !== 0).length;
const heap = process.memoryUsage().heapUsed;
await kernel.close();
await rm(dir, { recursive: true, force: true });

const turnsPerS = total / (elapsedMs / 1000);
const cpuPerTurn = (cpu.user + cpu.system) / total;
report(
  name,
  {
    agents,
    turns_per_agent: turns,
    syscall,
    total_turns: total,
    failed_agents: failed,
    elapsed_ms: Math.round(elapsedMs),
    turns_per_s: Math.round(turnsPerS),
    cpu_us_per_turn: Math.round(cpuPerTurn),
    heap_used_mb: Math.round(heap / 1024 / 1024),
  },
  [
    figure(
      `${name}.turns_per_s`,
      turnsPerS,
      'turns/s',
      `${agents} agents × ${turns} turns, instant model, ${syscall} each turn, SQLite on`,
      { min: 7000 },
    ),
    figure(`${name}.cpu_us_per_turn`, cpuPerTurn, 'µs', `kernel CPU per turn (${syscall})`, { max: 190 }),
    figure(`${name}.failed_agents`, failed, 'agents', 'agents that did not exit 0', { max: 0 }),
  ],
);
