/**
 * What adopting a large tree costs the adopter (issue 36). A tree's rows move from a dead node's
 * schema into the adopter's in one transaction, on the store's connection, while the adopter's
 * kernel thread waits for it (the store is synchronous): its turns, its socket and its heartbeat
 * stand still meanwhile. A stall near the lease (clusterLeaseMs) would get the adopter itself
 * declared dead. This measures it: a live tree on node a given N events of ~400 bytes (written
 * into a's schema as its store would have), a declared dead, b adopting it; the time from b's
 * declaring a dead to the tree live on b (b's next heartbeat included), and b's longest event-loop stall meanwhile.
 *
 *   node --import tsx bench/cluster-move.ts [--events 1000,10000,100000]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import YAML from 'yaml';
import { Kernel } from '../kernel/kernel.js';
import { param } from '../sys/param.js';
import { pgSkipReason, startPostgres } from '../test/helpers/postgres.js';
import { figure, flag, report } from './report.js';

const sizes = flag('events', '1000,10000,100000').split(',').map(Number);
const skip = pgSkipReason();
if (skip) {
  console.error(`cluster-move: skipped: ${skip}`);
  process.exit(0);
}

const pgServer = await startPostgres();
const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-move-'));
const tape = path.join(dir, 'tape.yaml');
await writeFile(tape, YAML.stringify({ agents: { hold: ['[SYS_CALL::RECV_MSG] {"timeout_s": 3600}'] } }));
const ws = path.join(dir, 'ws');
const root = ['fs.read:/**', 'fs.write:/**', 'ipc', 'spawn'];

async function node(name: string, url: string): Promise<Kernel> {
  return Kernel.create({
    workspace: ws,
    rootCapabilities: root,
    cwd: dir,
    cluster: { url, node: name, workspace: { path: ws, shared: true } },
  });
}

const runs: Array<{ events: number; move_ms: number; stall_ms: number; lease_ms: number }> = [];
try {
  for (const events of sizes) {
    const url = await pgServer.createDatabase();
    const a = await node('a', url);
    const proc = await a.spawn({ task: 'hold', model: `replay:${tape}`, name: 'hold' });
    await a.store.committed();
    // N events for the tree, as a's store writes them (ids after its own).
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    const body = JSON.stringify({ type: 'output', pid: proc.pid, ts: new Date().toISOString(), text: 'x'.repeat(320) });
    await sql.query(
      `INSERT INTO "aos/a".events (id, pid, json) SELECT 1000 + g, $1, $2 FROM generate_series(1, $3) AS g`,
      [proc.pid, body, events],
    );
    // a dies, its tree left as it was (a.shutdown() would end it: then there is nothing to adopt and
    // b waited forever); b joins and settles; then a is declared dead, and b adopts the tree at its next heartbeat.
    a.cluster?.member.stop();
    await a.close().catch(() => undefined);
    const b = await node('b', url);
    await new Promise((r) => setTimeout(r, 1_500));
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    await sql.query("UPDATE aos_nodes SET state = 'dead', fenced_ms = 0, fenced_by = 'bench' WHERE name = 'a'");
    while (!b.isLive(proc.pid)) await new Promise((r) => setTimeout(r, 5));
    const moveMs = performance.now() - started;
    delay.disable();
    const stall = delay.max / 1e6;
    // Every event came with the tree.
    const moved = await sql.query<{ n: string }>('SELECT count(*) AS n FROM "aos/b".events WHERE pid = $1', [proc.pid]);
    await sql.end();
    if (Number(moved.rows[0]?.n) < events)
      throw new Error(`only ${moved.rows[0]?.n} of the tree's ${events} events moved`);
    runs.push({ events, move_ms: Math.round(moveMs), stall_ms: Math.round(stall), lease_ms: param.clusterLeaseMs });
    console.error(
      `cluster-move: ${events} events: adopted ${Math.round(moveMs)} ms after a was declared dead (a heartbeat included), longest stall ${Math.round(stall)} ms`,
    );
    await b.shutdown();
  }
} finally {
  await pgServer.stop();
  await rm(dir, { recursive: true, force: true });
}

const largest = runs[runs.length - 1];
report('cluster-move', { runs }, [
  ...runs.map((r) =>
    figure(
      `cluster_move.stall_ms_${r.events}`,
      r.stall_ms,
      'ms',
      `the adopter's longest event-loop stall while a tree of ${r.events} events moved to it`,
    ),
  ),
  figure(
    'cluster_move.stall_share_of_lease',
    (largest?.stall_ms ?? 0) / param.clusterLeaseMs,
    'share',
    `the largest tree's stall over the lease (${param.clusterLeaseMs} ms): near 1 the adopter would be declared dead`,
    { max: 0.5 },
  ),
]);
