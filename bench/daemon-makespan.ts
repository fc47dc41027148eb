/**
 * The daemon's makespan, as a user's script sees it: N agents spawned at once over the socket of a
 * real daemon (started by the built CLI), T turns each on a model that takes L ms a reply (a replay
 * tape), from the first spawn sent to the last exit seen (the `wait` method's answer) on the
 * client's clock, against the ideal T × L. Also on the kernel's clock (first created_at to last
 * ended_at), the spawns a second over the socket (N spawns from the first sent to the last
 * answered; an answer means the process is committed), and the daemon's CPU per turn.
 *
 *   node dist/bench/daemon-makespan.js [--agents 100] [--turns 5] [--latency 200] [--runs 5] [--warmup 2]
 *
 * The daemon serves `--warmup` rounds of the same shape first (the first is reported as the cold
 * figure): the figures are those of a daemon that has been running.
 */
import { readFileSync } from 'node:fs';
import { median, openBenchHome } from './daemon-home.js';
import { type FleetRound, fleetTape, spawnAndWait } from './daemon-fleet.js';
import { figure, flag, report } from './report.js';

const agents = Number(flag('agents', '100'));
const turns = Number(flag('turns', '5'));
const latency = Number(flag('latency', '200'));
const runs = Number(flag('runs', '5'));
const warmup = Math.max(1, Number(flag('warmup', '2')));
const ideal = turns * latency;

/** A process's CPU time so far (ms, every thread), from /proc; null where there is none. */
function cpuMsOf(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime, in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

interface Measured {
  /** First spawn sent to last exit seen, client's clock (ms). */
  makespan: number;
  /** First created_at to last ended_at, kernel's clock (ms). */
  kernelMakespan: number;
  spawnsPerS: number;
  /** The daemon's CPU a turn over the round (µs), or null. */
  cpuUsPerTurn: number | null;
}

function measured(round: FleetRound, cpuMs: number | null): Measured {
  const { sentAt, agents: all } = round;
  const lastSpawn = Math.max(...all.map((a) => a.spawnedAt));
  return {
    makespan: Math.max(...all.map((a) => a.exitSeenAt)) - sentAt,
    kernelMakespan: Math.max(...all.map((a) => a.ended)) - Math.min(...all.map((a) => a.created)),
    spawnsPerS: all.length / ((lastSpawn - sentAt) / 1000),
    cpuUsPerTurn: cpuMs === null ? null : (cpuMs * 1000) / (all.length * turns),
  };
}

const bench = await openBenchHome('daemon-makespan');
try {
  const model = await fleetTape(bench, 'agent', turns, latency);
  const daemonPid = (await bench.client.request('ping', {})).pid;
  const round = async (): Promise<Measured> => {
    const before = cpuMsOf(daemonPid);
    const done = await spawnAndWait(bench.client, agents, model, 'agent');
    const after = cpuMsOf(daemonPid);
    return measured(done, before === null || after === null ? null : after - before);
  };
  const say = (what: string, m: Measured): void =>
    void process.stderr.write(
      `${what}: makespan ${m.makespan.toFixed(0)} ms (kernel's clock ${m.kernelMakespan}), ${m.spawnsPerS.toFixed(0)} spawns/s, daemon CPU ${m.cpuUsPerTurn?.toFixed(0) ?? '?'} µs/turn\n`,
    );
  const cold = await round();
  say('cold', cold);
  for (let w = 1; w < warmup; w++) say(`warm-up ${w + 1}`, await round());
  const all: Measured[] = [];
  for (let r = 0; r < runs; r++) {
    const m = await round();
    say(`run ${r + 1}`, m);
    all.push(m);
  }
  const of = (pick: (m: Measured) => number): number => median(all.map(pick));
  const cpus = all.flatMap((m) => (m.cpuUsPerTurn === null ? [] : [m.cpuUsPerTurn]));
  const what = `${agents} agents × ${turns} turns × ${latency} ms spawned at once over a daemon's socket`;
  report(
    'daemon-makespan',
    {
      agents,
      turns,
      latency_ms: latency,
      runs,
      warmup,
      ideal_ms: ideal,
      makespan_ms: all.map((m) => Math.round(m.makespan)),
      kernel_makespan_ms: all.map((m) => m.kernelMakespan),
      spawns_per_s: all.map((m) => Math.round(m.spawnsPerS)),
      daemon_cpu_us_per_turn: all.map((m) => (m.cpuUsPerTurn === null ? null : Math.round(m.cpuUsPerTurn))),
      cold_makespan_ms: Math.round(cold.makespan),
    },
    [
      figure(
        'daemon_makespan.makespan_over_ideal',
        of((m) => m.makespan) / ideal,
        '×',
        `${what}: first spawn sent to last exit seen (the client's clock) over ${ideal} ms (median of ${runs} runs)`,
        { max: 1.05 },
      ),
      figure(
        'daemon_makespan.makespan_over_ideal_worst',
        Math.max(...all.map((m) => m.makespan)) / ideal,
        '×',
        `${what}: the same, the worst of ${runs} runs`,
      ),
      figure(
        'daemon_makespan.kernel_makespan_over_ideal',
        of((m) => m.kernelMakespan) / ideal,
        '×',
        `${what}: first created_at to last ended_at (the kernel's clock) over ${ideal} ms (median)`,
        { max: 1.05 },
      ),
      figure(
        'daemon_makespan.spawns_per_s',
        of((m) => m.spawnsPerS),
        'spawns/s',
        `${what}: ${agents} spawns from the first sent to the last answered (committed), a second (median)`,
        { min: 2000 },
      ),
      figure(
        'daemon_makespan.daemon_cpu_us_per_turn',
        cpus.length ? median(cpus) : -1,
        'µs',
        `${what}: the daemon's CPU (every thread, /proc) over a round, a turn — its spawn, turns, exit and commits (median)`,
      ),
      figure(
        'daemon_makespan.makespan_over_ideal_cold',
        cold.makespan / ideal,
        '×',
        `${what}: the first round after the daemon started`,
      ),
    ],
  );
} finally {
  await bench.close();
}
