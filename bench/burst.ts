/**
 * Nothing waits behind a burst: N agents run T instant replay turns each in the real daemon
 * while (1) a raw socket client asks `ps` again and again (round trip until the whole answer line
 * is in), (2) a few `aos ps` CLIs run, and (3) `logs -f` followers of some agents time each pushed
 * event against its `ts` — pushes go out only after the commit, so that delay is the commit lag.
 *
 *   node dist/bench/burst.js [--agents 1000] [--turns 20] [--follow 20]
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { builtCli, median, openBenchHome, quantile } from './daemon-home.js';
import { figure, flag, report } from './report.js';

const agents = Number(flag('agents', '1000'));
const turns = Number(flag('turns', '20'));
const followed = Number(flag('follow', '20'));
const PS_GAP_MS = 10;
const run = promisify(execFile);

const bench = await openBenchHome('burst');
const socket = path.join(bench.home, 'kernel.sock');
// Distinct replies, so that the loop detector lets every agent take all its turns.
const steps = Array.from({ length: turns - 1 }, (_, i) => `step ${i}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${i}"}`);
const model = await bench.tape({ root: [...steps, '[SYS_CALL::SYS_EXIT] {"code":0}'] });

/** `ps` round trips on a raw socket until `stop()`: the time until the answer's last byte, no parsing. */
function probePs(): { stop(): Promise<number[]> } {
  const times: number[] = [];
  const conn = net.createConnection(socket);
  let sentAt = 0;
  let id = 0;
  let stopped = false;
  const ask = (): void => {
    if (stopped) return;
    sentAt = performance.now();
    conn.write(`${JSON.stringify({ id: ++id, method: 'ps', params: {} })}\n`);
  };
  conn.on('connect', ask);
  conn.on('data', (chunk: Buffer) => {
    if (chunk[chunk.length - 1] !== 0x0a) return;
    times.push(performance.now() - sentAt);
    if (!stopped) setTimeout(ask, PS_GAP_MS);
  });
  return {
    async stop() {
      stopped = true;
      conn.end();
      return times;
    },
  };
}

/** Every pushed event of `pids` against its ts (ms): the commit lag, as clients see it. */
async function followLag(pids: readonly number[]): Promise<number[]> {
  const lags: number[] = [];
  await Promise.all(
    pids.map(async (pid) => {
      const { pushes } = await bench.client.stream('logs', { pid, tail: 0, follow: true });
      for await (const push of pushes) {
        if (push.event === 'log') lags.push(Date.now() - Date.parse(push.payload.ts));
      }
    }),
  );
  return lags;
}

async function cliPs(): Promise<number> {
  const start = performance.now();
  await run(process.execPath, [builtCli(), 'ps'], { env: bench.env, maxBuffer: 64 << 20 });
  return performance.now() - start;
}

const probe = probePs();
const started = performance.now();
const spawns = Array.from({ length: agents }, () => bench.client.request('spawn', { task: 'burst', model }));
const pids = (await Promise.all(spawns.slice(0, followed))).map((row) => row.pid);
const lagsDone = followLag(pids);
const cliTimes: number[] = [];
const cliDone = (async () => {
  for (let i = 0; i < 3; i++) cliTimes.push(await cliPs());
})();
await Promise.all(spawns);
for (;;) {
  const { processes: p } = await bench.client.request('stats', {});
  if (p.ready + p.running + p.blocked + p.sleeping === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const elapsedMs = performance.now() - started;
const psTimes = await probe.stop();
const lags = await lagsDone;
await cliDone;
const { processes: totals } = await bench.client.request('stats', {});
await bench.close();

const psP99 = quantile(psTimes, 0.99);
const lagP99 = quantile(lags, 0.99);
report(
  'burst',
  {
    agents,
    turns_per_agent: turns,
    elapsed_ms: Math.round(elapsedMs),
    turns_per_s: Math.round((agents * turns) / (elapsedMs / 1000)),
    exited: totals.exited,
    ps_samples: psTimes.length,
    ps_ms: { p50: quantile(psTimes, 0.5), p99: psP99, max: Math.max(...psTimes) },
    cli_ps_ms: cliTimes.map((ms) => Math.round(ms)),
    commit_lag_samples: lags.length,
    commit_lag_ms: { p50: quantile(lags, 0.5), p99: lagP99, max: Math.max(...lags) },
  },
  [
    figure('burst.ps_p50_ms', quantile(psTimes, 0.5), 'ms', `ps round trip on the socket while ${agents} agents run instant turns`),
    figure('burst.ps_p99_ms', psP99, 'ms', `ps round trip on the socket (p99 of ${psTimes.length}) while ${agents} agents run instant turns`, { max: 50 }),
    figure('burst.cli_ps_ms', median(cliTimes), 'ms', `\`aos ps\` start to exit during the burst (median of ${cliTimes.length})`),
    figure('burst.commit_lag_p99_ms', lagP99, 'ms', `event to committed push, p99 of ${lags.length} (${followed} agents followed)`, { max: 50 }),
    figure('burst.turns_per_s', (agents * turns) / (elapsedMs / 1000), 'turns/s', `${agents} agents × ${turns} instant turns through the daemon`),
    figure('burst.exited', totals.exited, 'agents', 'agents that ran to the end', { min: agents }),
  ],
);
