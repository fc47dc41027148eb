/**
 * Nothing waits behind a burst: N agents run T instant replay turns each in the real daemon (warmed
 * up by a short burst first) while, from a thread of their own (burst-probe.ts), (1) a raw socket
 * client asks `ps` again and again — the round trip until the whole answer is in — and (2) `logs -f`
 * followers of some agents time each pushed event against its `ts`: pushes go out only after the
 * commit, so that delay is the commit lag. A few `aos ps` CLIs run meanwhile.
 *
 *   node dist/bench/burst.js [--agents 1000] [--turns 20] [--follow 20]
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startProbe } from './burst-probe.js';
import { builtCli, median, openBenchHome, quantile } from './daemon-home.js';
import { figure, flag, report } from './report.js';

const agents = Number(flag('agents', '1000'));
const turns = Number(flag('turns', '20'));
const followed = Number(flag('follow', '20'));
const PS_GAP_MS = 10;
const WARM_UP_AGENTS = 200;
const run = promisify(execFile);

const bench = await openBenchHome('burst');
// Distinct replies, so that the loop detector lets every agent take all its turns.
const steps = Array.from({ length: turns - 1 }, (_, i) => `step ${i}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${i}"}`);
const model = await bench.tape({ root: [...steps, '[SYS_CALL::SYS_EXIT] {"code":0}'] });

/** Until no process is live (stats every 100 ms). */
async function allEnded(): Promise<void> {
  for (;;) {
    const { processes: p } = await bench.client.request('stats', {});
    if (p.ready + p.running + p.blocked + p.sleeping === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function cliPs(): Promise<number> {
  const start = performance.now();
  await run(process.execPath, [builtCli(), 'ps'], { env: bench.env, maxBuffer: 64 << 20 });
  return performance.now() - start;
}

// A long-running daemon is warm: a short burst first pays for cold code (JIT, the syscall reference built once).
const warmModel = await bench.tape({ root: [...steps.slice(0, 2), '[SYS_CALL::SYS_EXIT] {"code":0}'] });
await Promise.all(
  Array.from({ length: WARM_UP_AGENTS }, () => bench.client.request('spawn', { task: 'warm-up', model: warmModel })),
);
await allEnded();

const probe = await startProbe(path.join(bench.home, 'kernel.sock'), PS_GAP_MS);
const started = performance.now();
const spawns = Array.from({ length: agents }, () => bench.client.request('spawn', { task: 'burst', model }));
probe.follow((await Promise.all(spawns.slice(0, followed))).map((row) => row.pid));
const cliTimes: number[] = [];
const cliDone = (async () => {
  for (let i = 0; i < 3; i++) cliTimes.push(await cliPs());
})();
await Promise.all(spawns);
await allEnded();
const elapsedMs = performance.now() - started;
const { ps, psAt, lags } = await probe.stop();
await cliDone;
const { processes: totals } = await bench.client.request('stats', {});
await bench.close();

const slowest = ps
  .map((ms, i) => [Math.round(psAt[i] ?? 0), Math.round(ms)])
  .sort((a, b) => (b[1] as number) - (a[1] as number))
  .slice(0, 5);
const psP99 = quantile(ps, 0.99);
const lagP99 = quantile(lags, 0.99);
report(
  'burst',
  {
    agents,
    turns_per_agent: turns,
    elapsed_ms: Math.round(elapsedMs),
    turns_per_s: Math.round((agents * turns) / (elapsedMs / 1000)),
    exited: totals.exited - WARM_UP_AGENTS,
    ps_samples: ps.length,
    ps_ms: { p50: quantile(ps, 0.5), p99: psP99, max: Math.max(...ps) },
    /** [ms since the probe started, round trip ms]: where in the burst the slowest were. */
    ps_slowest: slowest,
    cli_ps_ms: cliTimes.map((ms) => Math.round(ms)),
    commit_lag_samples: lags.length,
    commit_lag_ms: { p50: quantile(lags, 0.5), p99: lagP99, max: Math.max(...lags) },
  },
  [
    figure(
      'burst.ps_p50_ms',
      quantile(ps, 0.5),
      'ms',
      `ps round trip on the socket while ${agents} agents run instant turns`,
    ),
    figure(
      'burst.ps_p99_ms',
      psP99,
      'ms',
      `ps round trip on the socket (p99 of ${ps.length}) while ${agents} agents run instant turns`,
      { max: 50 },
    ),
    figure(
      'burst.cli_ps_ms',
      median(cliTimes),
      'ms',
      `\`aos ps\` start to exit during the burst (median of ${cliTimes.length})`,
    ),
    figure(
      'burst.commit_lag_p99_ms',
      lagP99,
      'ms',
      `event to committed push, p99 of ${lags.length} (${followed} agents followed)`,
      { max: 50 },
    ),
    figure(
      'burst.turns_per_s',
      (agents * turns) / (elapsedMs / 1000),
      'turns/s',
      `${agents} agents × ${turns} instant turns through the daemon`,
    ),
    figure('burst.exited', totals.exited - WARM_UP_AGENTS, 'agents', 'agents that ran to the end', { min: agents }),
  ],
);
