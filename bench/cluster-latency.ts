/**
 * What a database farther away costs a node (issue 36): the kernel's store commits synchronously
 * (kernel/store/pg: the kernel's thread waits for each group commit), so every round trip to
 * PostgreSQL is time the node does nothing else. N agents × T turns against a zero-latency replay
 * tape, one FS_LIST a turn, on one node whose database is reached through a TCP proxy (a child
 * process) that delays every packet by half the added round trip each way — 0 (the proxy alone),
 * 2, 5 and 10 ms, a managed PostgreSQL in the same zone to one a region away — beside the same
 * node straight on the server's unix socket and a kernel alone on SQLite. Each round trip's actual
 * time is measured (SELECT 1 through the proxy): timers make it a little more than asked. A group
 * commit's writes go in few statements (kernel/store/pg/coalesce.ts): each is a round trip.
 *
 *   node --import tsx bench/cluster-latency.ts [--agents 200] [--turns 10] [--rtt 0,2,5,10]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { Kernel, type KernelOptions } from '../kernel/kernel.js';
import { pgSkipReason, startPostgres } from '../test/helpers/postgres.js';
import { figure, flag, report } from './report.js';

const agents = Number(flag('agents', '200'));
const turns = Number(flag('turns', '10'));
const rtts = flag('rtt', '0,2,5,10').split(',').map(Number);

const skip = pgSkipReason();
if (skip) {
  process.stderr.write(`cluster-latency: ${skip}\n`);
  process.exit(0);
}

const server = await startPostgres();
const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-cluster-latency-'));
const tape = path.join(dir, 'tape.yaml');
// Distinct replies so the loop detector does not (rightly) end the agents early.
const steps = Array.from({ length: turns - 1 }, (_, i) => `step ${i}\n[SYS_CALL::FS_LIST] {"path":"/"}`);
await writeFile(tape, YAML.stringify({ agents: { root: [...steps, '[SYS_CALL::SYS_EXIT] {"code":0}'] } }));

/** The proxy, in a process of its own: the kernel's thread blocks on its store's answers, so a proxy on it would never forward them. */
const PROXY = `
const net = require('node:net');
const [target, oneWay] = [process.argv[1], Number(process.argv[2])];
const delayed = (from, to) => {
  let last = 0;
  from.on('data', (chunk) => {
    const at = Math.max(performance.now() + oneWay, last);
    last = at;
    const wait = at - performance.now();
    if (oneWay === 0) to.write(chunk);
    else setTimeout(() => to.write(chunk), Math.max(0, wait));
  });
  from.on('end', () => setTimeout(() => to.end(), oneWay));
  from.on('error', () => to.destroy());
};
net.createServer((client) => {
  const upstream = net.connect(target);
  delayed(client, upstream);
  delayed(upstream, client);
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

async function startProxy(target: string, rttMs: number): Promise<{ port: number; close(): void }> {
  const child = spawn(process.execPath, ['-e', PROXY, target, String(rttMs / 2)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code})`)));
  });
  return { port, close: () => child.kill() };
}

/** The median of 50 `SELECT 1` round trips on `url`, in ms. */
async function measuredRtt(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const times: number[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await c.query('SELECT 1');
      times.push(performance.now() - t);
    }
  } finally {
    await c.end();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

interface Run {
  store: string;
  rtt_ms: number | null;
  turns_per_s: number;
  ms_per_turn_wall: number;
  failed: number;
}

async function run(label: string, options: Partial<KernelOptions>, rtt: number | null): Promise<Run> {
  const ws = await mkdtemp(path.join(dir, 'ws-'));
  const kernel = await Kernel.create({
    workspace: ws,
    rootCapabilities: ['fs.read:/**'],
    storeFile: path.join(ws, '..', `${path.basename(ws)}.db`),
    ...options,
  });
  try {
    const t0 = performance.now();
    const pcbs = await Promise.all(
      Array.from({ length: agents }, () => kernel.spawn({ task: 'bench', model: `replay:${tape}` })),
    );
    const ends = await Promise.all(pcbs.map((p) => kernel.waitExit(p.pid)));
    await kernel.store.committed();
    const seconds = (performance.now() - t0) / 1000;
    const total = agents * turns;
    const out = {
      store: label,
      rtt_ms: rtt,
      turns_per_s: Math.round(total / seconds),
      ms_per_turn_wall: (seconds * 1000) / total,
      failed: ends.filter((e) => e.exitCode !== 0).length,
    };
    process.stderr.write(
      `${label}: ${out.turns_per_s} turns/s${rtt === null ? '' : ` (round trip ${rtt.toFixed(2)} ms)`}\n`,
    );
    return out;
  } finally {
    await kernel.close();
  }
}

const runs: Run[] = [];
try {
  runs.push(await run('sqlite', {}, null));
  const direct = await server.createDatabase('bench_direct');
  runs.push(
    await run('postgres, unix socket', { cluster: { url: direct, node: 'direct' } }, await measuredRtt(direct)),
  );
  const socket = path.join(decodeURIComponent(direct.match(/[?&]host=([^&]+)/)?.[1] ?? ''), '.s.PGSQL.5432');
  for (const rtt of rtts) {
    const proxy = await startProxy(socket, rtt);
    try {
      const db = `bench_rtt_${String(rtt).replace('.', '_')}`;
      await server.createDatabase(db);
      const url = `postgres://aos@127.0.0.1:${proxy.port}/${db}`;
      runs.push(await run(`postgres, +${rtt} ms`, { cluster: { url, node: 'far' } }, await measuredRtt(url)));
    } finally {
      proxy.close();
    }
  }
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

const of = (label: string): Run | undefined => runs.find((r) => r.store === label);
const direct = of('postgres, unix socket');
const far = runs.filter((r) => r.store.startsWith('postgres, +'));
report('cluster-latency', { agents, turns, runs }, [
  figure(
    'cluster_latency.sqlite_turns_per_s',
    of('sqlite')?.turns_per_s ?? 0,
    'turns/s',
    'a kernel alone on SQLite: the baseline',
  ),
  figure(
    'cluster_latency.postgres_turns_per_s',
    direct?.turns_per_s ?? 0,
    'turns/s',
    "a node on PostgreSQL's unix socket",
  ),
  ...far.map((r) =>
    figure(
      `cluster_latency.turns_per_s_rtt_${String(r.store.match(/\+([\d.]+)/)?.[1]).replace('.', '_')}`,
      r.turns_per_s,
      'turns/s',
      `a node whose database is ${r.rtt_ms?.toFixed(2)} ms a round trip away`,
    ),
  ),
  figure(
    'cluster_latency.failed',
    runs.reduce((n, r) => n + r.failed, 0),
    'count',
    'agents that did not exit 0 over every run',
    { max: 0 },
  ),
]);
