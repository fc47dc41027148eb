/**
 * `aos kernel start` as users run it (the built CLI, which waits until the daemon serves its socket),
 * beside bare `node -e 0` on the same machine in interleaved rounds. The daemon loads its kernel from
 * one bundle run from V8's code cache (daemon/kernel-code.ts): warm, a home whose cache this build
 * wrote; cold, a new home (the first start of a build compiles it and writes the cache). Each start's
 * wall time to the CLI's exit, and the daemon's CPU until then (/proc/<pid>/stat).
 *
 *   node dist/bench/daemon-start.js [--runs 11]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { builtCli, median } from './daemon-home.js';
import { figure, flag, report } from './report.js';

const runs = Number(flag('runs', '11'));
const cli = builtCli();
const TICK_MS = 1000 / 100;

interface Start {
  ms: number;
  cpuMs: number;
  loaded: string;
}

function timed(args: string[], env: NodeJS.ProcessEnv): number {
  const begun = performance.now();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return performance.now() - begun;
}

/** One start and stop in `home`. */
function start(home: string): Start {
  const env = { ...process.env, AOS_HOME: home, AOS_WORKSPACE: path.join(home, 'workspace'), AOS_POLICY: '' };
  const ms = timed([cli, 'kernel', 'start'], env);
  const pid = Number(readFileSync(path.join(home, 'kernel.pid'), 'utf8').trim());
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat (after the command's parenthesised name).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  const log = readFileSync(path.join(home, 'kernel.log'), 'utf8');
  const loaded = log.match(/kernel loaded from its bundle \(([^)]*)\)/g)?.at(-1) ?? 'from its modules';
  // The cache is written just after ready: let the first start of a home finish writing it.
  const cache = path.join(home, 'kernel.code-cache');
  for (let i = 0; i < 50 && !existsSync(cache); i++) spawnSync('sleep', ['0.05']);
  timed([cli, 'kernel', 'stop'], env);
  return { ms, cpuMs, loaded };
}

const warmHome = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-start-'));
const homes: string[] = [warmHome];
try {
  start(warmHome);
  const warm: Start[] = [];
  const cold: Start[] = [];
  const node: number[] = [];
  for (let i = 0; i < runs; i++) {
    node.push(timed(['-e', '0'], process.env));
    warm.push(start(warmHome));
    if (i % 3 === 0) {
      const home = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-start-'));
      homes.push(home);
      cold.push(start(home));
    }
  }
  const base = median(node);
  const warmMs = median(warm.map((s) => s.ms));
  report(
    'daemon-start',
    {
      runs,
      loaded: { warm: [...new Set(warm.map((s) => s.loaded))], cold: [...new Set(cold.map((s) => s.loaded))] },
      node_e0_ms: node.map(Math.round),
      warm_ms: warm.map((s) => Math.round(s.ms)),
      warm_cpu_ms: warm.map((s) => Math.round(s.cpuMs)),
      cold_ms: cold.map((s) => Math.round(s.ms)),
      cold_cpu_ms: cold.map((s) => Math.round(s.cpuMs)),
    },
    [
      figure('daemon_start.node_e0_ms', base, 'ms', 'bare `node -e 0` start to exit on this machine (the yardstick)'),
      figure(
        'daemon_start.warm_ms',
        warmMs,
        'ms',
        `\`aos kernel start\` to its exit, the daemon serving (median of ${runs}), a home whose kernel code cache this build wrote`,
      ),
      figure(
        'daemon_start.warm_over_node',
        warmMs / base,
        '×',
        '`aos kernel start` (warm) over `node -e 0`: two node starts, the kernel loaded from its bundle and cache, the store opened, the socket served',
        { max: 6 },
      ),
      figure(
        'daemon_start.warm_cpu_ms',
        median(warm.map((s) => s.cpuMs)),
        'ms',
        `the daemon's CPU from its exec to ready (median of ${runs}, warm)`,
      ),
      figure(
        'daemon_start.cold_ms',
        median(cold.map((s) => s.ms)),
        'ms',
        `\`aos kernel start\` in a new home (median of ${cold.length}): the kernel compiled, its cache written after ready`,
      ),
      figure(
        'daemon_start.cold_cpu_ms',
        median(cold.map((s) => s.cpuMs)),
        'ms',
        `the daemon's CPU from its exec to ready in a new home (median of ${cold.length})`,
      ),
    ],
  );
} finally {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
}
