/**
 * `npm run bench`: each benchmark in its own Node process (so heaps do not mix), one JSON result
 * each in bench/results/. Not part of `npm test`.
 *
 *   npm run bench                   # all, full size
 *   npm run bench -- turns soak     # some
 *   npm run bench -- --quick        # all, small workloads (~4.5 minutes on 2 cores; untimed ones 2 at a time)
 *   npm run bench -- --quick --json # one JSON summary: every figure with its target and pass/fail
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runContained, stopOnSignals, sweepDeadRunners } from './contain.js';
import type { Figure } from './report.js';

interface Bench {
  file: string;
  args: string[];
  /** Arguments under --quick. */
  quick: string[];
  /** Node flags it needs. */
  node?: string[];
  /**
   * Its figures are counts, shares and tokens, never times: it may share the machine with another
   * such bench. The runner runs these two at a time (one per core of the 2 a quick run is sized
   * for), after the timed benches, which always run alone. The number: about how long its quick run
   * takes on that machine, in seconds; the longest start first.
   */
  untimed?: number;
}

/** The one table of benchmarks: adding one is a file plus a line here. */
export const BENCHES: Record<string, Bench> = {
  turns: {
    file: 'turns',
    args: ['--agents', '1000', '--turns', '10', '--syscall', 'SYS_WRITE_STDOUT'],
    quick: ['--agents', '1000', '--turns', '10', '--syscall', 'SYS_WRITE_STDOUT'],
  },
  'turns-fs': {
    file: 'turns',
    args: ['--agents', '1000', '--turns', '10', '--syscall', 'FS_LIST', '--name', 'turns-fs'],
    quick: ['--agents', '1000', '--turns', '10', '--syscall', 'FS_LIST', '--name', 'turns-fs'],
  },
  // Quick runs the full turn count: with 4 turns an agent's spawn and exit weigh 2.5 times as much
  // on each turn (SYS_WRITE_STDOUT 143 against 92 µs/turn here), so the figure would not be the
  // per-turn cost its target is about. Fewer agents (400: 4,000 turns a workload) keep that share
  // and still average over thousands of turns; 1,000 took a tenth of the quick run.
  syscalls: {
    file: 'syscalls',
    args: ['--agents', '1000', '--turns', '10'],
    quick: ['--agents', '300', '--turns', '10'],
  },
  // Right after syscalls, on the same file system and what its FS_WRITE workload left there: the host's share of FS_WRITE.
  'fs-create': { file: 'fs-create', args: [], quick: ['--rounds', '3'] },
  // The exec gate's price on an EXEC_CMD: a bare command and a loop of 1,000 fork+execs, with and without it.
  'exec-gate': {
    file: 'exec-gate',
    args: ['--runs', '30', '--build-runs', '5', '--procs', '1000'],
    // A loop of 300 fork+execs: build_ratio is a ratio of two such loops, the gate's price per exec.
    // The interpreter case has no target: 3 pairs of 5 `node -e 0` (of 20 each it took half the bench).
    quick: ['--runs', '10', '--build-runs', '3', '--procs', '300', '--node-runs', '5'],
  },
  makespan: {
    file: 'makespan',
    args: ['--agents', '20', '--turns', '5', '--rpm', '240', '--latency', '50'],
    // Quick: the same 30 requests at twice the rate, still bound by it (8 a second × 50 ms: under one in flight), in half the time.
    quick: ['--agents', '10', '--turns', '3', '--rpm', '480', '--latency', '50'],
  },
  idle: {
    file: 'idle',
    args: ['--procs', '10000'],
    quick: ['--procs', '2000', '--window-s', '3'],
    node: ['--expose-gc'],
  },
  // Quick: read_p50_ms is a median of 100 searches, not 300.
  memory: {
    file: 'memory',
    args: ['--sizes', '10000'],
    quick: ['--sizes', '1000', '--queries', '100', '--calls', '100'],
  },
  context: {
    file: 'context',
    args: ['--turns', '200', '--file-kb', '60', '--budget', '32000'],
    quick: ['--turns', '150', '--file-kb', '60', '--budget', '32000'],
    untimed: 2,
  },
  // The same context curve as an agent's usual turn sends it: the share of each request a prompt cache can serve.
  'context-cache': {
    file: 'context',
    args: ['--turns', '400', '--file-kb', '4', '--budget', '32000', '--name', 'context-cache'],
    quick: ['--turns', '300', '--file-kb', '4', '--budget', '32000', '--name', 'context-cache'],
    untimed: 2,
  },
  // Not a speed: the system prompt tokens 100 installed skills add, and an agent opening the one it needs (issue 53.1).
  skills: { file: 'skills', args: ['--skills', '100'], quick: ['--skills', '100'], untimed: 1 },
  // Not a speed: the files one warm FS_WRITE turn runs code in (V8 coverage), for the core's readers.
  'files-crossed': { file: 'files-crossed', args: [], quick: [], untimed: 1 },
  // The model ladder against always-cheap, always-strong and an oracle, on simulated capability profiles (cost governance).
  routing: {
    file: 'routing',
    args: ['--tasks', '150', '--seed', '7'],
    quick: ['--tasks', '90', '--seed', '7'],
    untimed: 2,
  },
  // Racers against one daily token budget through the real driver and the fake provider: the worst overspend over one reply's bound (~10 s).
  'budget-race': {
    file: 'budget-race',
    args: ['--rounds', '40', '--max-racers', '40', '--seed', '1'],
    quick: ['--rounds', '15', '--max-racers', '30', '--seed', '1'],
    untimed: 3,
  },
  // Five agents hand one client on through a context thread, against re-reading each other's notes from files: prompt tokens (~4 s).
  handoff: { file: 'handoff', args: ['--visits', '3'], quick: ['--visits', '3'], untimed: 2 },
  // HISTORY_SEARCH over a tree's 2,000 results of 16 KiB: the first search (the index filled in ~20 ms steps), a warm one, no other tree's hits (~40 s).
  history: { file: 'history', args: ['--turns', '2000', '--kb', '16'], quick: ['--turns', '500', '--kb', '16'] },
  // A message through the Telegram adapter's sandbox and egress into the kernel, a burst, a reply by a unit's run, an adapter restart (~15 s).
  channels: {
    file: 'channels',
    args: ['--messages', '100', '--burst', '1000', '--replies', '20'],
    quick: ['--messages', '50', '--burst', '500', '--replies', '10'],
  },
  // 47 prompt injections (7 sources × 6 goals, and variants) on a model that obeys them, under the default policy's taint rules and without: effects that happened, benign twins finished without a person (~25 s).
  // Quick: the default policy's run alone (the figures with targets); the baseline's, with none, in the full run.
  injection: { file: 'injection', args: [], quick: ['--no-baseline'], untimed: 10 },
  // Kernels on one throwaway PostgreSQL sharing a provider budget: 1, 2, 3 nodes, no 429; a SIGKILLed node fenced (~45 s).
  // Quick: fewer agents and turns a node; still 1, 2, 3 nodes on one budget and a SIGKILLed node fenced.
  // Quick: a 2 s lease (AOS_CLUSTER_LEASE_S): fencing and failover are still a lease and a heartbeat or two.
  cluster: {
    file: 'cluster',
    args: ['--per-node', '8', '--turns', '40'],
    quick: ['--per-node', '3', '--turns', '10', '--lease-s', '2'],
  },
  // A dead node's tree of 1,000 / 10,000 / 100,000 events adopted: how long its move takes and how long it holds up the adopter's event loop (~30 s).
  'cluster-move': { file: 'cluster-move', args: ['--events', '1000,10000,100000'], quick: ['--events', '1000,10000'] },
  // One node whose database is 0 / 2 / 5 / 10 ms a round trip away (a TCP proxy that delays), beside SQLite and a unix socket: turns a second (~40 s).
  'cluster-latency': {
    file: 'cluster-latency',
    args: ['--agents', '200', '--turns', '10', '--rtt', '0,2,5,10'],
    quick: ['--agents', '50', '--turns', '10', '--rtt', '0,5'],
  },
  // Three daemons under 30 seeded SIGKILLs and a SIGSTOP past the lease, 60 trees adopted between them: nothing lost or run twice (~3 min).
  'cluster-chaos': {
    file: 'cluster-chaos',
    args: ['--trees', '60', '--kills', '30', '--seed', '1'],
    // Quick: 6 trees under 2 SIGKILLs and the SIGSTOP past a 2 s lease — still what it checks (nothing lost or run twice).
    quick: ['--trees', '6', '--kills', '2', '--seed', '1', '--lease-s', '2'],
    untimed: 24,
  },
  // Reading a 100 KiB prompt for personal data (every spelling, with and without a phone region): what each turn with such a prompt pays (~10 s).
  'privacy-detect': {
    file: 'privacy-detect',
    args: ['--kb', '100', '--runs', '30'],
    quick: ['--kb', '100', '--runs', '10'],
  },
  // Hostile unit packages (gzip bombs, floods, duplicates) previewed through the socket while agents run: the kernel's event-loop delay, time to refusal (~20 s).
  // Quick: one run of each package (~1.6 s of previews) against a control window about as long.
  'package-bomb': {
    file: 'package-bomb',
    args: ['--runs', '3'],
    quick: ['--runs', '1', '--dir-flood', '10000', '--control-s', '2'],
  },
  // `aos kernel start` warm (the kernel's code cache written) and cold (a new home), beside `node -e 0` (~25 s; quick ~12 s).
  'daemon-start': { file: 'daemon-start', args: ['--runs', '11'], quick: ['--runs', '5'] },
  // Quick: 3 runs, so the figure is a median of three (of two it was their mean: 2.6-3.8 ms against the full run's 2).
  'daemon-turns': { file: 'daemon-turns', args: ['--runs', '5'], quick: ['--runs', '3'] },
  // 100 agents spawned at once over the daemon's socket × 5 turns × 200 ms: first spawn to last exit over the ideal, spawns/s (~15 s).
  'daemon-makespan': { file: 'daemon-makespan', args: ['--runs', '5'], quick: ['--runs', '3'] },
  delay: {
    file: 'delay',
    args: [],
    quick: [
      ...['--runs', '3', '--warmup', '10', '--big-runs', '1', '--http-runs', '1'],
      ...['--big-agents', '300', '--big-latency', '500'],
    ],
  },
  // aos and OpenAI Agents JS against one fake OpenAI-compatible server in its own process, same agents, turns, latency (~30 s quick).
  'peers-http': { file: 'peers-http', args: [], quick: ['--agents', '200', '--turns', '3', '--latency', '500'] },
  'head-of-line': {
    file: 'head-of-line',
    args: ['--runs', '7'],
    quick: ['--runs', '3', '--turns', '5', '--slow-ms', '500'],
  },
  adaptive: {
    file: 'adaptive',
    args: ['--capacity', '50', '--seconds', '12', '--from', 'above,below'],
    // Quick: the limit read at 5 s (it settles within half a second from above at N=20).
    quick: ['--capacity', '20', '--seconds', '5.5', '--at', '5', '--from', 'above'],
  },
  // A verb's start-up scatters by a few ms from run to run: 7 runs made its median move by ±0.1×.
  cli: { file: 'cli', args: ['--runs', '21'], quick: ['--runs', '15'] },
  // Quick runs an odd number (ps, web): the median of two is the slower one, and one GC pause in it
  // decided the figure (ps.all_kernel_ms: listings of 4.0 and 0.8 ms in one run, 6.5 and 50.6 in the next).
  // The socket round trip and the CLI's run have no target: one of each in a quick run (~2 s each).
  ps: {
    file: 'ps',
    args: ['--procs', '100000', '--runs', '5'],
    quick: ['--procs', '100000', '--runs', '3', '--trips', '1', '--cli-runs', '1'],
  },
  burst: { file: 'burst', args: ['--agents', '1000', '--turns', '20'], quick: ['--agents', '1000', '--turns', '20'] },
  web: { file: 'web', args: ['--events', '10000', '--runs', '5'], quick: ['--events', '10000', '--runs', '3'] },
  soak: {
    file: 'soak',
    args: ['--procs', '100000', '--wave', '2000', '--kills', '3'],
    quick: ['--procs', '5000', '--wave', '1000', '--kills', '3'],
    untimed: 11,
  },
};

/**
 * How long one benchmark may run before it is killed with all it started and counted as failed (a
 * hang must not hold the whole run). A guard against a hang, not a speed target: at load 25 on 2
 * cores the slowest quick benches took 85-90 s. `--limit-s N` sets another.
 */
const QUICK_LIMIT_S = 150;
/** How many untimed benches run at once: one per core of the 2-core machine the quick run is sized for. */
const UNTIMED_AT_ONCE = 2;
const FULL_LIMIT_S = 1200;

const here = path.dirname(fileURLToPath(import.meta.url));
const ext = path.extname(fileURLToPath(import.meta.url));
/** The checkout: results go to its bench/results whether this runs from source or from dist/. */
const root = path.resolve(here, ext === '.js' ? '../..' : '..');
const argv = process.argv.slice(2);
const isQuick = argv.includes('--quick');
const asJson = argv.includes('--json');
const limitAt = argv.indexOf('--limit-s');
const limitS = limitAt === -1 ? (isQuick ? QUICK_LIMIT_S : FULL_LIMIT_S) : Number(argv[limitAt + 1]);
const wanted = argv.filter((a, i) => !a.startsWith('-') && !(limitAt !== -1 && i === limitAt + 1));
const names = wanted.length ? wanted : Object.keys(BENCHES);
const say = (line: string): void => void process.stderr.write(`${line}\n`);
const summary: Array<{ bench: string; ok: boolean; seconds: number; figures: Figure[] }> = [];
let failed = 0;
const began = performance.now();
stopOnSignals(say);
const orphans = sweepDeadRunners();
if (orphans.length) say(`bench: killed what an earlier run left running:\n  ${orphans.join('\n  ')}`);
/** Runs one bench contained and keeps its figures. */
async function runOne(name: string): Promise<void> {
  const bench = BENCHES[name];
  const file = bench && path.join(here, `${bench.file}${ext}`);
  if (!bench || !file || !existsSync(file)) {
    say(`bench: no benchmark "${name}" (have: ${Object.keys(BENCHES).join(', ')})`);
    failed++;
    return;
  }
  say(`bench: ${name}${isQuick ? ' (quick)' : ''}`);
  const args = [...(isQuick ? bench.quick : bench.args), ...(isQuick ? ['--quick'] : [])];
  const run = await runContained(process.execPath, [...process.execArgv, ...(bench.node ?? []), file, ...args], {
    limitMs: limitS * 1000,
    stdout: asJson ? 'ignore' : 'inherit',
  });
  const ok = run.code === 0 && !run.timedOut;
  if (run.timedOut) say(`bench: ${name} did not finish in ${limitS} s: killed with all it started, failed`);
  else if (!ok) say(`bench: ${name} failed (${run.signal ? `killed by ${run.signal}` : `exit ${run.code}`})`);
  if (run.leftovers.length && !run.timedOut)
    say(`bench: ${name} left ${run.leftovers.length} process(es) running, killed:\n  ${run.leftovers.join('\n  ')}`);
  say(`bench: ${name} ${ok ? 'done' : 'FAILED'} in ${run.seconds.toFixed(1)} s`);
  if (!ok) failed++;
  const result = path.join(root, 'bench', 'results', `${name}.json`);
  const figures =
    ok && existsSync(result)
      ? ((JSON.parse(readFileSync(result, 'utf8')) as { figures?: Figure[] }).figures ?? [])
      : [];
  summary.push({ bench: name, ok, seconds: Number(run.seconds.toFixed(1)), figures });
}

// The timed benches one at a time, then the untimed ones side by side (UNTIMED_AT_ONCE a time, each
// starting as another ends), so no bench's times are measured beside another bench.
const timed = names.filter((name) => !BENCHES[name]?.untimed);
const untimed = names.filter((name) => BENCHES[name]?.untimed);
for (const name of timed) await runOne(name);
const queue = [...untimed].sort((a, b) => (BENCHES[b]?.untimed ?? 0) - (BENCHES[a]?.untimed ?? 0));
const lane = async (): Promise<void> => {
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) await runOne(name);
};
await Promise.all(Array.from({ length: Math.min(UNTIMED_AT_ONCE, queue.length) }, lane));
// The summary in the order asked for, whichever finished first.
summary.sort((a, b) => names.indexOf(a.bench) - names.indexOf(b.bench));
const seconds = Number(((performance.now() - began) / 1000).toFixed(1));
say(`bench: ${summary.length} benchmark(s) in ${seconds} s, ${failed} failed`);
if (asJson) {
  const all = summary.flatMap((s) => s.figures);
  const pass = failed === 0 && all.every((f) => f.pass !== false);
  process.stdout.write(`${JSON.stringify({ quick: isQuick, pass, seconds, benches: summary }, null, 2)}\n`);
}
process.exitCode = failed ? 1 : 0;
