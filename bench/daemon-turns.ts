/**
 * The path users take: a real daemon started by the built CLI, agents spawned over the socket,
 * the store committing. N agents × T turns × L ms of model time (a replay tape whose replies wait
 * L ms); each agent's life is read from `ps` — its `started_at` to its `ended_at`, the kernel's own
 * timestamps — and what it lived beyond T × L, divided by T, is the kernel's overhead a turn. Each
 * agent's end is awaited with the `wait` method (daemon-fleet.ts): nothing polls the daemon meanwhile.
 *
 *   node dist/bench/daemon-turns.js [--agents 100] [--turns 5] [--latency 200] [--runs 3]
 *
 * A first round (the same shape) warms the daemon up; it is reported as the cold figure.
 */
import { median, openBenchHome, quantile } from './daemon-home.js';
import { fleetTape, spawnAndWait } from './daemon-fleet.js';
import { figure, flag, report } from './report.js';

const agents = Number(flag('agents', '100'));
const turns = Number(flag('turns', '5'));
const latency = Number(flag('latency', '200'));
const runs = Number(flag('runs', '3'));

const bench = await openBenchHome('daemon-turns');
const model = await fleetTape(bench, 'agent', turns, latency);

/** One round: every agent spawned at once over the socket; their lives in ms (from started_at, and from created_at). */
async function round(n: number): Promise<{ lives: number[]; fromCreated: number[] }> {
  const { agents: lives } = await spawnAndWait(bench.client, n, model, 'agent');
  return {
    lives: lives.map((l) => l.ended - l.started),
    fromCreated: lives.map((l) => l.ended - l.created),
  };
}

try {
  // The first round after a start runs code V8 has not optimised yet: reported, not the figure.
  const cold = await round(agents);
  process.stderr.write(`cold run: median ${median(cold.lives)}\n`);
  const all: number[] = [];
  const medians: number[] = [];
  const createdMedians: number[] = [];
  for (let r = 0; r < runs; r++) {
    const { lives, fromCreated } = await round(agents);
    medians.push(median(lives));
    createdMedians.push(median(fromCreated));
    all.push(...lives);
    process.stderr.write(
      `run ${r + 1}: lives ${Math.min(...lives)}–${Math.max(...lives)} ms, median ${median(lives)}; from spawn, median ${median(fromCreated)}\n`,
    );
  }
  const ideal = turns * latency;
  const perTurn = (median(medians) - ideal) / turns;
  const what = `${agents} agents × ${turns} turns × ${latency} ms through the daemon (spawned over the socket, store committing)`;
  report(
    'daemon-turns',
    {
      agents,
      turns,
      latency_ms: latency,
      runs,
      ideal_ms: ideal,
      life_ms: { min: Math.min(...all), median: median(all), p90: quantile(all, 0.9), max: Math.max(...all) },
      run_medians_ms: medians,
      run_medians_from_spawn_ms: createdMedians,
      cold_median_ms: median(cold.lives),
    },
    [
      figure(
        'daemon_turns.overhead_per_turn',
        perTurn,
        'ms',
        `${what}: an agent's life beyond the model's time, a turn (median of ${runs} runs' medians)`,
        { max: 2 },
      ),
      figure(
        'daemon_turns.overhead_per_turn_from_spawn',
        (median(createdMedians) - ideal) / turns,
        'ms',
        `${what}: as above, from the spawn request's arrival`,
      ),
      figure(
        'daemon_turns.overhead_per_turn_cold',
        (median(cold.lives) - ideal) / turns,
        'ms',
        `${what}: the same, in the first round after the daemon started`,
      ),
      figure('daemon_turns.life_p90', quantile(all, 0.9), 'ms', `${what}: an agent's life, p90 (ideal ${ideal} ms)`),
    ],
  );
} finally {
  await bench.close();
}
