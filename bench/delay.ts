/**
 * Slow models at full concurrency: N agents × T turns on a model that takes L ms a reply, through
 * the real kernel. Ideally every agent runs at once and the fleet ends after T × L; the kernel's
 * part is what it takes beyond that. Two workloads, 100 × 5 × 200 ms (overhead in ms) and
 * 1,000 × 5 × 2 s (makespan over ideal), each on two models:
 * - `replay`: a tape whose replies wait L ms, behind an adaptive limit that starts as a hosted
 *   API's does: the pool, limiter and scheduler path of every provider, without an HTTP client
 *   (what the comparison drove every framework with: a scripted in-process model);
 * - `http`: the fake provider in its own process behind the real OpenAI-compatible driver.
 *
 * The kernel measured is one that has been running: before the measured runs it serves the small
 * workload `--warmup` times (20) at 20 ms a reply — the same code paths, ~10,000 turns — so V8 has
 * optimised them as in a daemon that has served for a while (30 runs in one process went 76 65 48
 * 32 29 … 16 14 13 ms: the tenth is not yet the steady state). The first run of a fresh process is
 * reported too (`delay.overhead_cold`, no target): the price of a kernel's first minutes.
 *
 *   node --import tsx bench/delay.ts [--agents 100 --turns 5 --latency 200]
 *     [--big-agents 1000 --big-turns 5 --big-latency 2000] [--runs 5] [--big-runs 3] [--http-runs 3] [--warmup 20]
 *     [--http-thread on|off]
 */
import { useHttpThread } from '../drivers/llm/http-post.js';
import { param } from '../sys/param.js';
import { type Fleet, many, median, runAgents, startFleet, startReplayFleet } from './fleet.js';
import { startRemoteFake } from '../test/fakes/fake-provider/remote.js';
import { cpuUs, fakeCpuDuring, measureHttpClient } from './http-client.js';
import { figure, flag, report } from './report.js';

interface Workload {
  agents: number;
  turns: number;
  latency: number;
}

type Model = 'replay' | 'http';

const small: Workload = {
  agents: Number(flag('agents', '100')),
  turns: Number(flag('turns', '5')),
  latency: Number(flag('latency', '200')),
};
const big: Workload = {
  agents: Number(flag('big-agents', '1000')),
  turns: Number(flag('big-turns', '5')),
  latency: Number(flag('big-latency', '2000')),
};
const runs = Number(flag('runs', '5'));
const bigRuns = Number(flag('big-runs', '3'));
const httpRuns = Number(flag('http-runs', '3'));
const warmup = Number(flag('warmup', '20'));
// Whole replies on the HTTP client's own thread (the default) or on the kernel's (`off`): the two side by side.
const httpThread = flag('http-thread', 'on') !== 'off';
useHttpThread(httpThread);
// The fake provider listens on 127.0.0.1, which the pool would take for a local server: it stands in
// for a hosted API here, as AOS_LIMITS `openai:class=hosted` says of a gateway on loopback — its
// start, and no latency rule (a local server's limit is cut when replies slow: the warm-up's 20 ms
// replies made a baseline the 200 ms ones then looked queued against). The replay lane (no server,
// no limit of its own) is given the same start, so both paths go through an adaptive limit.
const HOSTED = { class: 'hosted', start: param.hostedConcurrencyStart } as const;

// One fake provider for every HTTP run, warmed with the kernel (below): a fresh one per run would
// measure its own first requests' unoptimised code too (fleet.ts startFleet).
const provider = await startRemoteFake({ latencyMs: {} });

function start(model: Model, w: Workload): Promise<Fleet> {
  return model === 'replay'
    ? startReplayFleet({ delay: { turns: w.turns, latencyMs: w.latency } }, { replay: HOSTED })
    : startFleet({ latencyMs: { '*': w.latency }, turns: { '*': w.turns } }, { openai: HOSTED }, provider);
}

interface Measured {
  makespanMs: number;
  idealMs: number;
  failures: number;
  /** The most inferences in flight at once. */
  peak: number;
  /** CPU of this process (the kernel; the HTTP fake runs in a child) per turn. */
  cpuUsPerTurn: number;
  /** The kernel's thread busy (its event loop's active time) per turn: what other agents wait behind. */
  threadUsPerTurn: number;
  /** HTTP only: the fake provider's CPU per request, and the most requests it held at once. */
  fakeCpuUsPerRequest: number | null;
  fakePeak: number | null;
}

async function measure(model: Model, w: Workload): Promise<Measured> {
  const fleet = await start(model, w);
  let inFlight = 0;
  let peak = 0;
  fleet.kernel.events.subscribe((e) => {
    if (e.type === 'prompt') peak = Math.max(peak, ++inFlight);
    else if (e.type === 'model') inFlight--;
  });
  try {
    const cpu = process.cpuUsage();
    const loop = performance.eventLoopUtilization();
    const agents = (): ReturnType<typeof runAgents> => runAgents(fleet, many(w.agents, 'delay'));
    const { fake } = fleet;
    const { result: run, us: fakeUs } = fake ? await fakeCpuDuring(fake, agents) : { result: await agents(), us: 0 };
    const turns = w.agents * w.turns;
    const cpuUsPerTurn = cpuUs(process.cpuUsage(cpu)) / turns;
    const threadUsPerTurn = (performance.eventLoopUtilization(loop).active * 1000) / turns;
    return {
      makespanMs: run.makespanMs,
      idealMs: w.turns * w.latency,
      failures: run.failed + fleet.errors.length,
      peak,
      cpuUsPerTurn,
      threadUsPerTurn,
      fakeCpuUsPerRequest: fake ? fakeUs / turns : null,
      fakePeak: fake ? (await fake.stats()).maxInFlight : null,
    };
  } finally {
    await fleet.close();
  }
}

async function repeat(model: Model, w: Workload, n: number): Promise<Measured[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await measure(model, w));
  return out;
}

// Modules loaded and compiled; then one run as a kernel's first, then the warm-up (see the head of this file).
await repeat('replay', { agents: 10, turns: 2, latency: 1 }, 1);
const cold = await repeat('replay', small, 1);
await repeat('replay', { ...small, latency: 20 }, warmup);
// The HTTP path (the driver, undici, the fake's server) warmed as much as the replay path's own code.
await repeat('http', { ...small, latency: 20 }, Math.min(warmup, 10));

const results = {
  replay_small: await repeat('replay', small, runs),
  replay_big: await repeat('replay', big, bigRuns),
  http_small: await repeat('http', small, httpRuns),
  http_big: await repeat('http', big, Math.min(bigRuns, httpRuns)),
};
await provider.close();
const client = await measureHttpClient(small, httpRuns);
const fakeUsPerRequest = median(
  [...results.http_small, ...results.http_big]
    .map((r) => r.fakeCpuUsPerRequest ?? 0)
    .concat(client.map((c) => c.fakeCpuUsPerRequest)),
);
/** Requests a second the fake could serve on one core, and what the big workload asks of it. */
const fakeCapacity = 1e6 / fakeUsPerRequest;
const bigDemand = (big.agents * 1000) / big.latency;
const overhead = (rs: Measured[]): number => median(rs.map((r) => r.makespanMs - r.idealMs));
const ratio = (rs: Measured[]): number => median(rs.map((r) => r.makespanMs / r.idealMs));
const failures = Object.values(results)
  .flat()
  .reduce((n, r) => n + r.failures, 0);
const describe = (w: Workload, model: Model): string =>
  `${w.agents} agents × ${w.turns} turns × ${w.latency} ms, ${model === 'replay' ? 'scripted model (replay)' : 'fake provider over HTTP (OpenAI driver)'}`;
const shown = (rs: Measured[]): Record<string, unknown> => ({
  makespan_ms: rs.map((r) => Math.round(r.makespanMs)),
  peak_in_flight: rs.map((r) => r.peak),
  cpu_us_per_turn: rs.map((r) => Math.round(r.cpuUsPerTurn)),
  thread_us_per_turn: rs.map((r) => Math.round(r.threadUsPerTurn)),
  ...(rs[0]?.fakePeak === null || rs[0] === undefined
    ? {}
    : {
        fake_peak_in_flight: rs.map((r) => r.fakePeak),
        fake_cpu_us_per_request: rs.map((r) => Math.round(r.fakeCpuUsPerRequest ?? 0)),
      }),
});
const replayOverhead = overhead(results.replay_small);
const replayCpu = median(results.replay_small.map((r) => r.cpuUsPerTurn));

report(
  'delay',
  {
    runs,
    warmup,
    big_runs: bigRuns,
    http_runs: httpRuns,
    http_thread: httpThread,
    small: { ...small, ideal_ms: small.turns * small.latency },
    big: { ...big, ideal_ms: big.turns * big.latency },
    replay_small_cold: shown(cold),
    replay_small: shown(results.replay_small),
    replay_big: shown(results.replay_big),
    http_small: shown(results.http_small),
    http_big: shown(results.http_big),
    http_client: client.map((c) => ({
      overhead_ms: Math.round(c.overheadMs),
      cpu_us_per_turn: Math.round(c.clientCpuUsPerTurn),
      fake_cpu_us_per_request: Math.round(c.fakeCpuUsPerRequest),
    })),
    fake_demand_rps: bigDemand,
  },
  [
    figure(
      'delay.fake_capacity_rps',
      fakeCapacity,
      'requests/s',
      `the fake provider's capacity on one core (1 s / its CPU per request, ${Math.round(fakeUsPerRequest)} µs); at least 4× the ${bigDemand} requests/s the big workload asks, so the HTTP figures measure aos and not the fake`,
      { min: 4 * bigDemand },
    ),
    figure(
      'delay.overhead',
      replayOverhead,
      'ms',
      `${describe(small, 'replay')}: makespan beyond the ideal (median of ${runs})`,
      { max: 20 },
    ),
    figure(
      'delay.overhead_cold',
      overhead(cold),
      'ms',
      `${describe(small, 'replay')}: makespan beyond the ideal, the first run of a fresh process (no warm-up)`,
    ),
    figure(
      'delay.makespan_over_ideal',
      ratio(results.replay_big),
      '×',
      `${describe(big, 'replay')}: makespan over the ideal (median of ${bigRuns})`,
      { max: 1.05 },
    ),
    figure(
      'delay.http_overhead',
      overhead(results.http_small),
      'ms',
      `${describe(small, 'http')}: makespan beyond the ideal (median of ${httpRuns}); at most 2× the replay path's (${Math.round(replayOverhead)} ms)`,
      { max: 2 * replayOverhead },
    ),
    figure(
      'delay.http_makespan_over_ideal',
      ratio(results.http_big),
      '×',
      `${describe(big, 'http')}: makespan over the ideal (median of ${Math.min(bigRuns, httpRuns)})`,
      { max: 1.05 },
    ),
    figure(
      'delay.http_cpu_us_per_turn',
      median(results.http_small.map((r) => r.cpuUsPerTurn)),
      'µs',
      `${describe(small, 'http')}: the kernel's CPU a turn, its HTTP client's included (the fake provider runs in a process of its own); at most the replay path's (${Math.round(replayCpu)} µs) and the client's 500 µs`,
      { max: replayCpu + 500 },
    ),
    figure(
      'delay.http_thread_us_per_turn',
      median(results.http_small.map((r) => r.threadUsPerTurn)),
      'µs',
      `${describe(small, 'http')}: the kernel's thread busy a turn (its event loop's active time; the HTTP client's own thread and the fake are not in it) — what every other agent waits behind; the replay path's: ${Math.round(median(results.replay_small.map((r) => r.threadUsPerTurn)))} µs`,
    ),
    figure(
      'delay.http_client_cpu_us_per_turn',
      median(client.map((c) => c.clientCpuUsPerTurn)),
      'µs',
      `the OpenAI-compatible driver alone (no kernel): ${small.agents} conversations × ${small.turns} requests of a kernel's size, ${small.latency} ms a reply: its CPU a request (median of ${httpRuns})`,
      { max: 500 },
    ),
    figure(
      'delay.http_floor_overhead',
      median(client.map((c) => c.overheadMs)),
      'ms',
      `the same ${small.agents} conversations × ${small.turns} × ${small.latency} ms through the driver alone (no kernel) against the same fake: makespan beyond the ideal (median of ${httpRuns}) — the floor under delay.http_overhead that the fake's process, the loopback and the HTTP client set on this machine`,
    ),
    figure(
      'delay.replay_cpu_us_per_turn',
      replayCpu,
      'µs',
      `${describe(small, 'replay')}: the kernel's CPU a turn with no HTTP client (median of ${runs})`,
    ),
    figure('delay.failures', failures, 'agents', 'agents that failed or saw a model error, all runs', { max: 0 }),
  ],
);
