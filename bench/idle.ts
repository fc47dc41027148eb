/**
 * Resident idle processes: N processes blocked in RECV_MSG in one kernel (SQLite on disk).
 * Reports live heap per process (after GC), the time of a full `ps` listing (rows + JSON, as
 * the server sends it: every row serialised the first time, only changed ones after), and the
 * kernel's CPU while everything is idle.
 *
 * The CPU window is `--window-s` long (5). Work that runs once after the spawns end is averaged
 * over it like anything else, while periodic work would show at its full rate: 2 of 30 runs of
 * 10,000 processes showed 2.6–6 ms on one of the threads Node starts with the process (V8's
 * platform workers or libuv's pool) inside a 2 s window, with no GC logged in it. The window's
 * CPU split by thread (main thread and the rest, from procfs) is reported with it, so such a
 * reading can be told apart.
 *
 *   node --expose-gc --import tsx bench/idle.ts [--procs 10000] [--window-s 5]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Kernel } from '../kernel/kernel.js';
import { figure, flag, report } from './report.js';

const procs = Number(flag('procs', '10000'));
const windowS = Number(flag('window-s', '5'));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-idle-'));
const tape = path.join(dir, 'tape.yaml');
await writeFile(
  tape,
  YAML.stringify({ agents: { root: ['Waiting for work.\n[SYS_CALL::RECV_MSG] {"timeout_s": 3600}'] } }),
);
const kernel = await Kernel.create({
  workspace: path.join(dir, 'ws'),
  rootCapabilities: ['ipc'],
  storeFile: path.join(dir, 'aos.db'),
});
await kernel.models.get(`replay:${tape}`);
kernel.store.flush();
gc();
const heapBefore = process.memoryUsage().heapUsed;

const t0 = performance.now();
for (let i = 0; i < procs; i++) await kernel.spawn({ task: 'wait', model: `replay:${tape}`, name: 'root' });
const blocked = (): number => kernel.stats().processes.blocked;
while (blocked() < procs) await new Promise((r) => setTimeout(r, 50));
const settleMs = performance.now() - t0;
kernel.store.flush();
await new Promise((r) => setTimeout(r, 200));
gc();
const heapAfter = process.memoryUsage().heapUsed;

const psTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  const s = performance.now();
  const json = kernel.liveProcessesJson().bytes;
  psTimes.push(performance.now() - s);
  if (json.length < procs) throw new Error('ps listing too short');
}
const psFirst = psTimes[0] ?? 0;
// What the spawns set going ends first: the WAL checkpoint thread's pass (within
// param.storeCheckpointMs of the last commit) and V8's sweeping after gc() count in this process's
// CPU too. Rarely another thread still runs a few ms later (see the head of this file).
await new Promise((r) => setTimeout(r, 1000));
threadCpuNs(); // once before, so the measured reads run warm
const threads0 = threadCpuNs();
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, windowS * 1000));
const idle = process.cpuUsage(cpu0);
const byThread = threadSplit(threads0, threadCpuNs());

await kernel.close();
await rm(dir, { recursive: true, force: true });

const heapPer = (heapAfter - heapBefore) / procs;
const psAgain = psTimes.slice(1).sort((a, b) => a - b)[2] ?? 0;
const idleCpu = (idle.user + idle.system) / 1000 / windowS;
report(
  'idle',
  {
    processes: procs,
    spawn_and_block_ms: Math.round(settleMs),
    heap_per_process_bytes: Math.round(heapPer),
    ps_rows_json_ms_first: Number(psFirst.toFixed(1)),
    ps_rows_json_ms_again_median: Number(psAgain.toFixed(1)),
    idle_window_s: windowS,
    idle_cpu_ms_per_s: Number(idleCpu.toFixed(2)),
    // ms of CPU in the window by procfs run-time counters: the main thread and all others (V8, libuv, the store workers); null without procfs.
    // A diagnostic: over a window this idle they can differ from getrusage (the figure) by ~1–2 ms.
    idle_cpu_ms_by_thread: byThread,
  },
  [
    figure('idle.heap_per_process', heapPer / 1024, 'KB', `live heap per process with ${procs} blocked in RECV_MSG`, {
      max: 25,
    }),
    figure(
      'idle.ps_ms',
      psFirst,
      'ms',
      `kernel's ps listing (rows + JSON) of ${procs} live processes, every row serialised`,
      { max: 300 },
    ),
    figure('idle.ps_again_ms', psAgain, 'ms', `the same listing again, no row changed (median of 4)`),
    figure('idle.cpu_ms_per_s', idleCpu, 'ms/s', `kernel CPU while every process is blocked, over ${windowS} s`, {
      max: 5,
    }),
  ],
);

/** CPU time so far of each thread of this process, by thread id (procfs schedstat, ns); empty without procfs. */
function threadCpuNs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
      } catch {
        // the thread ended
      }
    }
  } catch {
    // no procfs
  }
  return out;
}

function threadSplit(before: Map<string, number>, after: Map<string, number>): { main: number; others: number } | null {
  if (after.size === 0) return null;
  let main = 0;
  let others = 0;
  for (const [tid, ns] of after) {
    const ms = (ns - (before.get(tid) ?? 0)) / 1e6;
    if (tid === String(process.pid)) main += ms;
    else others += ms;
  }
  return { main: Number(main.toFixed(2)), others: Number(others.toFixed(2)) };
}
