/**
 * Peers on the same HTTP path (issue 50.2): aos (the kernel and its OpenAI-compatible driver) and
 * OpenAI Agents JS (its own OpenAI client, Chat Completions) against one fake OpenAI-compatible
 * server in a process of its own (peers-fake-server.ts), with the same agents, turns and latency,
 * in one run. Each agent does N turns: turns 1..N-1 call one cheap tool (Agents JS: a function
 * tool; aos: SYS_WRITE_STDOUT in the reply text), turn N answers and ends.
 *
 * First the fake itself: under a bare client (peers-bare.ts: undici and an array, no framework) at
 * 0 ms a reply, its CPU a request gives the requests a second one core of it serves, against the
 * rate the workload needs; then at the workload's latency the bare client gives the floor the
 * frameworks are read against (what the fake, the loopback and the machine take). Each framework runs
 * in a process of its own (a memory run, warm-up, a timed run: peers-runner.ts); the figures are
 * its makespan over the ideal (turns × latency), its process's CPU a turn, and its RSS and live
 * heap per agent, with aos/Agents JS ratios (aos ahead: ratio ≤ 1). The machine's load average
 * goes with them: on 2 shared cores the wall-clock figures move with it.
 *
 *   node --import tsx bench/peers-http.ts [--agents 1000 --turns 5 --latency 2000] [--runs 3]
 *     [--warmup-requests 5000 (2400 under --quick) | --warmup <rounds>] [--capacity-agents 200 --capacity-turns 10] [--name peers-http]
 */
import os from 'node:os';
import { median } from './fleet.js';
import { startPeersFake } from './peers-fake.js';
import { type FrameworkName, type FrameworkRun, runFramework, type Workload } from './peers-spawn.js';
import { figure, type Figure, flag, quick, report } from './report.js';

const w: Workload = {
  agents: Number(flag('agents', '1000')),
  turns: Number(flag('turns', '5')),
  latencyMs: Number(flag('latency', '2000')),
};
// Three full runs (the frameworks take turns going first); one under --quick.
const runs = Number(flag('runs', quick ? '1' : '3'));
// Warm-up rounds (peers-runner.ts: up to 100 agents × turns at 10 ms) until ~5,000 requests: each
// framework's CPU a turn kept falling for that long (aos 985 µs after 1 round of 300 requests, 845
// after 4, 698-798 after 8, 540 after 16; OpenAI Agents JS 5,200 → 3,770; 200 × 3 × 500 ms), so
// fewer timed a process still compiling, not one that has served for a while. Under --quick 2,400:
// most of that fall for a third of the time (OpenAI Agents JS takes ~1 s a round of 300 here).
const warmupRequests = Number(flag('warmup-requests', quick ? '2400' : '5000'));
const warmup = Number(flag('warmup', String(Math.ceil(warmupRequests / (Math.min(w.agents, 100) * w.turns)))));
const capacity: Workload = {
  agents: Number(flag('capacity-agents', '200')),
  turns: Number(flag('capacity-turns', '10')),
  latencyMs: 0,
};
const name = flag('name', 'peers-http');
const idealMs = w.turns * w.latencyMs;
const load = (): number[] => os.loadavg().map((l) => Number(l.toFixed(2)));

const fake = await startPeersFake();
const loadBefore = load();
const runsOf: Record<FrameworkName, FrameworkRun[]> = { bare: [], aos: [], agents: [] };
let probe: FrameworkRun;
try {
  probe = await runFramework(fake, 'bare', capacity, 1);
  for (let r = 0; r < runs; r++) {
    // The two frameworks take turns going first, in case the machine's state favours one place.
    const order: FrameworkName[] = r % 2 === 0 ? ['bare', 'aos', 'agents'] : ['bare', 'agents', 'aos'];
    for (const framework of order) runsOf[framework].push(await runFramework(fake, framework, w, warmup));
  }
} finally {
  await fake.close();
}
const loadAfter = load();

const med = (framework: FrameworkName, pick: (r: FrameworkRun) => number): number =>
  median(runsOf[framework].map(pick));
const overIdeal = (r: FrameworkRun): number => r.makespanMs / idealMs;
// The fake's capacity is what one core of it serves: its own CPU a request, at 0 ms a reply under
// many clients. The end-to-end rate with a bare client is shown too, but it shares the cores with
// that client and the machine's other work.
const fakeCpuUsPerRequest = probe.fake.cpuUs / Math.max(1, probe.fake.ok);
const fakeRpsPerCore = 1e6 / fakeCpuUsPerRequest;
const probeRps = (probe.agents * probe.turns) / (probe.makespanMs / 1000);
const neededRps = w.agents / (w.latencyMs / 1000);

/** Turns or agents a framework's run left undone, and requests the fake did not answer as it should. */
function shortfall(r: FrameworkRun): number {
  const tools = r.framework === 'agents' ? r.fake.toolCalls : r.fake.syscalls;
  const wanted = r.agents * (r.turns - 1);
  return (
    r.agents -
    r.finished +
    Math.abs(wanted - r.tools) +
    Math.abs(wanted - tools) +
    Math.abs(r.agents * r.turns - r.fake.ok) +
    r.fake.bad
  );
}
const unfinished = [...runsOf.bare, ...runsOf.aos, ...runsOf.agents, probe].reduce((n, r) => n + shortfall(r), 0);

const shown = (rs: FrameworkRun[]): Record<string, unknown> => ({
  makespan_ms: rs.map((r) => Math.round(r.makespanMs)),
  cpu_us_per_turn: rs.map((r) => Math.round(r.cpuUsPerTurn)),
  rss_kb_per_agent: rs.map((r) => Number(r.rssPerAgentKb.toFixed(1))),
  heap_kb_per_agent: rs.map((r) => Number(r.heapPerAgentKb.toFixed(1))),
  finished: rs.map((r) => r.finished),
  tools: rs.map((r) => r.tools),
  fake_answered: rs.map((r) => r.fake.ok),
  fake_max_in_flight: rs.map((r) => r.fake.maxInFlight),
  request_bytes: rs.map((r) => Math.round(r.fake.bytesIn / Math.max(1, r.fake.ok))),
  base_rss_mb: rs.map((r) => Math.round(r.baseRssMb)),
});

const size = `${w.agents} agents × ${w.turns} turns × ${w.latencyMs} ms over HTTP (one fake OpenAI-compatible server)`;
const of = runs > 1 ? ` (median of ${runs})` : '';
const LABEL: Record<FrameworkName, string> = {
  bare: 'a bare HTTP client (the floor)',
  aos: 'aos',
  agents: 'OpenAI Agents JS',
};

/** One figure per framework and the aos / Agents JS ratio, which carries the target (aos ahead: ≤ 1). */
function compared(
  key: string,
  unit: string,
  what: string,
  pick: (r: FrameworkRun) => number,
  aosTarget: { max: number } | null = null,
): Figure[] {
  const each = (['aos', 'agents', 'bare'] as const).map((f) =>
    figure(
      `${name}.${f}_${key}`,
      med(f, pick),
      unit,
      `${size}, ${LABEL[f]}: ${what}${of}`,
      f === 'aos' ? aosTarget : null,
    ),
  );
  const ratio = med('aos', pick) / med('agents', pick);
  return [
    ...each,
    figure(`${name}.${key}_ratio`, ratio, '×', `${size}: aos's ${what} over OpenAI Agents JS's`, { max: 1 }),
  ];
}

report(
  name,
  {
    workload: { ...w, ideal_ms: idealMs },
    runs,
    warmup,
    load_average: { before: loadBefore, after: loadAfter },
    fake: {
      capacity_probe: { ...capacity, makespan_ms: Math.round(probe.makespanMs), answered: probe.fake.ok },
      cpu_us_per_request: Math.round(fakeCpuUsPerRequest),
      requests_per_s_per_core: Math.round(fakeRpsPerCore),
      requests_per_s_with_bare_client: Math.round(probeRps),
      needed_requests_per_s: Math.round(neededRps),
    },
    bare: shown(runsOf.bare),
    aos: shown(runsOf.aos),
    agents: shown(runsOf.agents),
  },
  [
    figure(
      `${name}.fake_headroom`,
      fakeRpsPerCore / neededRps,
      '×',
      `the requests a second one core of the fake server serves (${Math.round(fakeRpsPerCore)}: ${Math.round(fakeCpuUsPerRequest)} µs of its CPU a request, ${capacity.agents} bare clients × ${capacity.turns} turns at 0 ms) over the rate the workload needs (${Math.round(neededRps)}/s): the bench measures the frameworks, not the fake`,
      { min: 5 },
    ),
    ...compared('makespan_over_ideal', '×', 'makespan over the ideal', overIdeal, { max: 1.05 }),
    ...compared('cpu_us_per_turn', 'µs', "its process's CPU a turn (the fake's not counted)", (r) => r.cpuUsPerTurn),
    ...compared('rss_kb_per_agent', 'KB', 'RSS per agent in flight', (r) => r.rssPerAgentKb),
    ...compared('heap_kb_per_agent', 'KB', 'live heap per agent in flight (after a full GC)', (r) => r.heapPerAgentKb),
    figure(
      `${name}.unfinished`,
      unfinished,
      'turns',
      'agents, tool calls and replies short of agents × turns, all frameworks and runs',
      { max: 0 },
    ),
  ],
);
