/**
 * Head-of-line blocking: does a slow agent delay fast ones? 9 fast agents (T turns of F ms) run
 * alone, then beside 1 slow agent whose single reply takes S ms (longer than the fast agents'
 * whole run) and is already in flight when they start, alternately, R times each. The figure is
 * what the slow agent adds to the fast agents' mean completion time (median over the runs of
 * each), on a scripted model (replay: the kernel's scheduling alone); the same runs on the fake
 * provider over HTTP are reported for information: on a shared machine, loopback round trips
 * vary by more than the target.
 *
 *   node --import tsx bench/head-of-line.ts [--fast 9] [--turns 10] [--fast-ms 50] [--slow-ms 2000] [--runs 7]
 */
import { param } from '../sys/param.js';
import { type Fleet, many, median, runAgents, startFleet, startReplayFleet } from './fleet.js';
import { figure, flag, report } from './report.js';

const fast = Number(flag('fast', '9'));
const turns = Number(flag('turns', '10'));
const fastMs = Number(flag('fast-ms', '50'));
const slowMs = Number(flag('slow-ms', '2000'));
const runs = Number(flag('runs', '7'));
// A hosted API (see delay.ts): no limit of the pool's own stands in the way.
const HOSTED = { class: 'hosted', start: param.hostedConcurrencyStart } as const;

/** Start the slow agent and resolve once its inference is in flight; the promise inside resolves when it ends. */
async function startSlow(fleet: Fleet): Promise<{ ended: Promise<unknown> }> {
  const { kernel } = fleet;
  // Listening before the spawn: its first prompt may be emitted before spawn() resolves.
  const prompted = new Set<number>();
  let wanted = -1;
  let inFlight = (): void => {};
  const unsubscribe = kernel.events.subscribe((e) => {
    if (e.type !== 'prompt') return;
    prompted.add(e.pid);
    if (e.pid === wanted) inFlight();
  });
  try {
    const pcb = await kernel.spawn({ task: 'slow', model: fleet.model, name: 'slow' });
    wanted = pcb.pid;
    if (!prompted.has(pcb.pid)) await new Promise<void>((resolve) => (inFlight = resolve));
    return { ended: kernel.waitExit(pcb.pid) };
  } finally {
    unsubscribe();
  }
}

/** Mean completion time of the fast agents, with or without the slow one in flight beside them. */
async function once(fleet: Fleet, withSlow: boolean): Promise<number> {
  const slow = withSlow ? await startSlow(fleet) : null;
  const run = await runAgents(fleet, many(fast, 'fast'));
  await slow?.ended;
  if (run.failed > 0 || fleet.errors.length > 0)
    throw new Error(`${run.failed} agents failed, ${fleet.errors.length} model errors`);
  return run.finishedMs.reduce((a, b) => a + b, 0) / run.finishedMs.length;
}

/** One fleet for every run, as one long-running daemon would serve them; alone and beside alternate. */
async function compare(fleet: Fleet): Promise<{ alone: number[]; beside: number[] }> {
  try {
    await once(fleet, false);
    await once(fleet, true);
    const alone: number[] = [];
    const beside: number[] = [];
    for (let i = 0; i < runs; i++) {
      alone.push(await once(fleet, false));
      beside.push(await once(fleet, true));
    }
    return { alone, beside };
  } finally {
    await fleet.close();
  }
}

const replay = await compare(
  await startReplayFleet(
    { fast: { turns, latencyMs: fastMs }, slow: { turns: 1, latencyMs: slowMs } },
    { replay: HOSTED },
  ),
);
const http = await compare(
  await startFleet({ latencyMs: { fast: fastMs, slow: slowMs }, turns: { fast: turns, slow: 1 } }, { openai: HOSTED }),
);
const added = (r: typeof replay): number => median(r.beside) - median(r.alone);
const shown = (values: number[]): number[] => values.map((v) => Number(v.toFixed(2)));
const what = `what 1 slow agent (${slowMs} ms a reply) adds to ${fast} fast agents (${turns} × ${fastMs} ms), median of ${runs}`;

report(
  'head-of-line',
  {
    fast_agents: fast,
    turns,
    fast_ms: fastMs,
    slow_ms: slowMs,
    runs,
    ideal_fast_ms: turns * fastMs,
    replay: { fast_alone_ms: shown(replay.alone), fast_beside_slow_ms: shown(replay.beside) },
    http: { fast_alone_ms: shown(http.alone), fast_beside_slow_ms: shown(http.beside) },
  },
  [
    figure('head-of-line.added_delay', added(replay), 'ms', `${what}, scripted model (replay)`, { max: 2 }),
    figure('head-of-line.http_added_delay', added(http), 'ms', `${what}, fake provider over HTTP (for information)`),
    figure(
      'head-of-line.fast_overhead',
      median(replay.alone) - turns * fastMs,
      'ms',
      `the fast agents' mean completion beyond ${turns} × ${fastMs} ms, alone (replay)`,
    ),
  ],
);
