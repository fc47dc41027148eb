/**
 * Head-of-line blocking: does a slow agent delay fast ones? 9 fast agents (T turns of F ms) run
 * alone, then beside 1 slow agent whose single reply takes S ms (longer than the fast agents'
 * whole run), alternately, R times each, on the fake provider in its own process behind the real
 * OpenAI-compatible driver. The figure is what the slow agent adds to the fast agents' mean
 * completion time (median over the runs of each).
 *
 *   node --import tsx bench/head-of-line.ts [--fast 9] [--turns 10] [--fast-ms 50] [--slow-ms 2000] [--runs 7]
 */
import { param } from '../kernel/param.js';
import { type Fleet, many, median, runAgents, startFleet } from './fleet.js';
import { figure, flag, report } from './report.js';

const fast = Number(flag('fast', '9'));
const turns = Number(flag('turns', '10'));
const fastMs = Number(flag('fast-ms', '50'));
const slowMs = Number(flag('slow-ms', '2000'));
const runs = Number(flag('runs', '7'));

// One fleet for every run, as one long-running daemon would serve them; a hosted API's start (see delay.ts).
const fleet: Fleet = await startFleet(
  { latencyMs: { fast: fastMs, slow: slowMs }, turns: { fast: turns, slow: 1 } },
  { openai: { start: param.hostedConcurrencyStart } },
);

/** Mean completion time of the fast agents, with or without the slow one beside them. */
async function once(withSlow: boolean): Promise<number> {
  const agents = [...(withSlow ? many(1, 'slow') : []), ...many(fast, 'fast')];
  const run = await runAgents(fleet, agents);
  if (run.failed > 0) throw new Error(`${run.failed} agents failed`);
  const fastDone = run.finishedMs.slice(withSlow ? 1 : 0);
  return fastDone.reduce((a, b) => a + b, 0) / fastDone.length;
}

try {
  await once(false);
  await once(true);
  const alone: number[] = [];
  const beside: number[] = [];
  for (let i = 0; i < runs; i++) {
    alone.push(await once(false));
    beside.push(await once(true));
  }
  const added = median(beside) - median(alone);
  report(
    'head-of-line',
    {
      fast_agents: fast,
      turns,
      fast_ms: fastMs,
      slow_ms: slowMs,
      runs,
      ideal_fast_ms: turns * fastMs,
      fast_alone_ms: alone.map((v) => Number(v.toFixed(2))),
      fast_beside_slow_ms: beside.map((v) => Number(v.toFixed(2))),
      errors_reaching_agents: fleet.errors.length,
    },
    [
      figure('head-of-line.added_delay', added, 'ms', `what 1 slow agent (${slowMs} ms a reply) adds to ${fast} fast agents (${turns} × ${fastMs} ms), median of ${runs}`, { max: 2 }),
      figure('head-of-line.fast_overhead', median(alone) - turns * fastMs, 'ms', `the fast agents' mean completion beyond ${turns} × ${fastMs} ms, alone (over HTTP)`),
    ],
  );
} finally {
  await fleet.close();
}
