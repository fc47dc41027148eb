/**
 * Kernels on one PostgreSQL (issue 36), against the fake provider on loopback with one request
 * budget for all of them (AOS_LIMITS rpm, the same on every node) and each node capped in
 * inferences in flight (standing in for its capacity). A throwaway PostgreSQL (test/helpers).
 *  - throughput with 1, 2, 3 nodes: turns a second, from the first spawn to the last exit. It grows
 *    with nodes until the shared budget is reached, then stays flat, and no 429 is answered at all
 *    (the provider's own limiter, set a little above the budget, counts them);
 *  - what the cluster costs the database per turn: transactions and WAL bytes (each node's store —
 *    processes, transcripts, events — and the grants, heartbeats and settlements);
 *  - fencing and failover, from one SIGKILL of a node running a tree: until another node has
 *    declared it dead, and until that node, sharing its workspace, has adopted the tree and
 *    committed its first change to it (target, each: the lease plus 2 s).
 *
 *   node --import tsx bench/cluster.ts [--per-node 8] [--turns 40] [--cap 4] [--latency 100] [--rpm 4800] [--lease-s 5]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import YAML from 'yaml';
import { Kernel } from '../kernel/kernel.js';
import { param } from '../sys/param.js';
import { startFakeProvider } from '../test/fakes/fake-provider.js';
import { pgSkipReason, startPostgres } from '../test/helpers/postgres.js';
import { figure, flag, report } from './report.js';

const perNode = Number(flag('per-node', '8'));
const turns = Number(flag('turns', '40'));
const cap = Number(flag('cap', '4'));
const latency = Number(flag('latency', '100'));
const rpm = Number(flag('rpm', '4800'));
/** The cluster's lease (AOS_CLUSTER_LEASE_S): fencing and failover are a lease and a heartbeat or two. */
const leaseMs = Math.round(Number(flag('lease-s', String(param.clusterLeaseMs / 1000))) * 1000);

const skip = pgSkipReason();
if (skip) {
  process.stderr.write(`cluster: ${skip}\n`);
  process.exit(0);
}

const server = await startPostgres();
const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-cluster-'));
// The provider's own limit: the budget's second plus its one-second burst, so a node that kept to
// the shared budget is never refused and one that spent a budget of its own would be.
const fake = await startFakeProvider({
  latencyMs: latency,
  limits: { rpm: Math.ceil((2 * rpm) / 60), windowMs: 1_000 },
  reply: ({ messages }: { messages: unknown[] }) =>
    messages.length < 2 * turns - 1
      ? `[SYS_CALL::SYS_SLEEP] {"ms":${messages.length}}`
      : '[SYS_CALL::SYS_EXIT] {"code":0}',
});
process.env.OPENAI_BASE_URL = `${fake.url}/v1`;
process.env.OPENAI_API_KEY = 'sk-bench';

interface Run {
  nodes: number;
  turns: number;
  seconds: number;
  turns_per_s: number;
  rejected_429: number;
  retries: number;
  failed: number;
  xact_per_turn: number;
  wal_bytes_per_turn: number;
}

async function dbFigures(url: string): Promise<{ xact: number; wal: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SELECT pg_stat_clear_snapshot()');
    const x = await c.query<{ xact: string; wal: string }>(
      "SELECT xact_commit + xact_rollback AS xact, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS wal FROM pg_stat_database WHERE datname = current_database()",
    );
    return { xact: Number(x.rows[0]?.xact ?? 0), wal: Number(x.rows[0]?.wal ?? 0) };
  } finally {
    await c.end();
  }
}

async function run(nodes: number): Promise<Run> {
  const url = await server.createDatabase(`bench_${nodes}`);
  const kernels: Kernel[] = [];
  for (let i = 0; i < nodes; i++) {
    kernels.push(
      await Kernel.create({
        workspace: path.join(dir, `ws-${nodes}-${i}`),
        rootCapabilities: ['timer'],
        modelLimits: { openai: { rpm, concurrency: cap } },
        modelRetry: { backoffBaseMs: 20, backoffMaxMs: 500 },
        cluster: { url, node: `n${i}`, leaseMs },
      }),
    );
  }
  let retries = 0;
  for (const k of kernels) k.events.subscribe((e) => void (e.type === 'retry' && retries++));
  const rejectedBefore = fake.stats().limiterRejections;
  // Let the first burst of heartbeats pass, so the figures are the workload's.
  await new Promise((r) => setTimeout(r, 1_200));
  const before = await dbFigures(url);
  const started = performance.now();
  const pids = await Promise.all(
    kernels.flatMap((k) =>
      Array.from({ length: perNode }, async () => ({ k, pid: (await k.spawn({ task: 't', model: 'openai:m' })).pid })),
    ),
  );
  const ends = await Promise.all(pids.map(({ k, pid }) => k.waitExit(pid)));
  const seconds = (performance.now() - started) / 1000;
  const after = await dbFigures(url);
  const total = ends.reduce((n, p) => n + p.counters.turns, 0);
  await Promise.all(kernels.map((k) => k.shutdown()));
  return {
    nodes,
    turns: total,
    seconds,
    turns_per_s: total / seconds,
    rejected_429: fake.stats().limiterRejections - rejectedBefore,
    retries,
    failed: ends.filter((p) => p.exitCode !== 0).length,
    xact_per_turn: (after.xact - before.xact) / total,
    wal_bytes_per_turn: (after.wal - before.wal) / total,
  };
}

/**
 * One SIGKILL, both figures: a node in a process of its own running a tree is killed; the survivor,
 * on its own heartbeats as in a real cluster, declares it dead and fences it (fence: ms from the
 * kill), then adopts its tree (failover: until its first commit to that tree).
 */
async function failoverTime(): Promise<{ fenceMs: number; failoverMs: number }> {
  const url = await server.createDatabase('bench_failover');
  const ws = path.join(dir, 'shared-ws');
  const tape = path.join(dir, 'failover.yaml');
  const sleep = '[SYS_CALL::SLEEP] {"seconds":0.5}';
  await writeFile(tape, YAML.stringify({ agents: { long: Array.from({ length: 120 }, () => sleep) } }));
  const here = path.dirname(fileURLToPath(import.meta.url));
  const module = path.join(here, '..', 'kernel', `kernel${path.extname(fileURLToPath(import.meta.url))}`);
  const options = (node: string): string =>
    JSON.stringify({
      workspace: ws,
      rootCapabilities: ['timer'],
      cwd: dir,
      cluster: { url, node, workspace: { path: ws, shared: true }, leaseMs },
    });
  const code = `const { Kernel } = await import(${JSON.stringify(module)}); const k = await Kernel.create(${options('victim')});
    const p = await k.spawn({ task: 't', model: ${JSON.stringify(`replay:${tape}`)}, name: 'long' }); await k.store.committed(); process.stdout.write('running\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const survivor = await Kernel.create(JSON.parse(options('survivor')) as Parameters<typeof Kernel.create>[0]);
  let adoptedAt = 0;
  const adopted = new Promise<void>((resolve) =>
    survivor.store.onCommitted((events) => {
      if (events.some((e) => e.event.type === 'state' && /adopted from node victim/.test(e.event.reason ?? ''))) {
        adoptedAt ||= performance.now();
        resolve();
      }
    }),
  );
  let deadAt = 0;
  const cluster = survivor.cluster;
  if (!cluster) throw new Error('cluster: the survivor is not a node of a cluster');
  const isDead = (): boolean => cluster.status().nodes.some((n) => n.name === 'victim' && n.state === 'dead');
  const stopWatching = cluster.onChange(() => void (deadAt ||= isDead() ? performance.now() : 0));
  await new Promise((r) => setTimeout(r, 1_500));
  child.kill('SIGKILL');
  const killed = performance.now();
  await adopted;
  stopWatching();
  if (deadAt === 0) throw new Error('cluster: the victim was adopted from but never seen declared dead');
  const times = { fenceMs: deadAt - killed, failoverMs: adoptedAt - killed };
  await survivor.shutdown();
  return times;
}

try {
  const runs: Run[] = [];
  for (const n of [1, 2, 3]) runs.push(await run(n));
  const { fenceMs, failoverMs } = await failoverTime();
  const budgetPerS = rpm / 60;
  const [one, two, three] = runs as [Run, Run, Run];
  report(
    'cluster',
    {
      per_node: perNode,
      turns,
      cap,
      latency_ms: latency,
      rpm,
      runs,
      fence_ms: fenceMs,
      failover_ms: failoverMs,
      lease_ms: leaseMs,
    },
    [
      figure(
        'cluster.turns_per_s_1',
        one.turns_per_s,
        'turns/s',
        `one node, ${cap} inferences in flight at ${latency} ms each`,
      ),
      figure(
        'cluster.turns_per_s_2',
        two.turns_per_s,
        'turns/s',
        'two nodes: twice the capacity, under the shared budget',
      ),
      figure(
        'cluster.turns_per_s_3',
        three.turns_per_s,
        'turns/s',
        `three nodes: capacity past the shared budget (${budgetPerS}/s), so flat at it`,
      ),
      // What the budget allowed over the run: its one-second burst and its refill.
      figure(
        'cluster.budget_use_3',
        three.turns / (budgetPerS * param.rpmBurstSeconds + budgetPerS * three.seconds),
        'share',
        'three nodes: requests sent over what the shared budget allowed in the run (burst + refill)',
        { max: 1 },
      ),
      figure('cluster.scaling_2_over_1', two.turns_per_s / one.turns_per_s, '×', 'two nodes against one', { min: 1.6 }),
      figure(
        'cluster.rejected_429',
        runs.reduce((n, r) => n + r.rejected_429 + r.retries + r.failed, 0),
        'count',
        '429s the provider answered, retries and failed processes over every run: none reaches an agent',
        { max: 0 },
      ),
      figure(
        'cluster.xact_per_turn',
        three.xact_per_turn,
        'xact',
        "the database's transactions per turn with three nodes (their stores' group commits, grants, heartbeats, settlements)",
      ),
      figure('cluster.wal_bytes_per_turn', three.wal_bytes_per_turn, 'B', 'WAL bytes per turn with three nodes'),
      figure('cluster.fence_ms', fenceMs, 'ms', 'a node SIGKILLed until another declared it dead and fenced it', {
        max: leaseMs + 2_000,
      }),
      figure(
        'cluster.failover_ms',
        failoverMs,
        'ms',
        "a node running a tree SIGKILLed until the adopter's first commit to that tree",
        { max: leaseMs + 2_000 },
      ),
    ],
  );
} finally {
  await fake.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
