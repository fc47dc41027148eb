/**
 * A cluster node shut down in process (Kernel.shutdown: every process ended) commits those ends
 * before it leaves the cluster: its store commits only while the node is live, and the kills it
 * committed after leaving were lost — another node then adopted the processes the shutdown had ended.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/until.js';
import { PG_SKIP, postgresPerFile } from './pg-fixture.js';
import { kernelNode, nodeLog } from './kernel-node.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

describe.skipIf(PG_SKIP)("a cluster node's shutdown", () => {
  it('commits the ends of its processes and a clean stop before it leaves: no other node adopts them', async () => {
    const url = await pgServer.server.createDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-node-shutdown-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(tape, YAML.stringify({ agents: { hold: ['[SYS_CALL::RECV_MSG] {"timeout_s": 600}'] } }));
    const a = await kernelNode('a', url, dir, closers);
    const procs = await Promise.all([1, 2, 3].map(() => a.spawn({ task: 'hold', model: `replay:${tape}`, name: 'hold' })));
    await until(() => procs.every((p) => a.table.get(p.pid)?.pcb.state === 'blocked'), 20_000, 'the processes to wait for a message');
    const logged = nodeLog.length;

    await a.shutdown();

    expect(nodeLog.slice(logged).filter((line) => / a (error|warn) /.test(line))).toEqual([]);
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    closers.push(() => sql.end());
    const states = await sql.query<{ pid: string; state: string }>('SELECT pid, state FROM "aos/a".processes ORDER BY pid');
    expect(states.rows.map((r) => r.state)).toEqual(['killed', 'killed', 'killed']);
    const running = await sql.query<{ value: string }>(`SELECT value FROM "aos/a".meta WHERE key = 'kernel_running'`);
    expect(running.rows[0]?.value).toBe('0');
    expect((await sql.query<{ state: string }>("SELECT state FROM aos_nodes WHERE name = 'a'")).rows[0]?.state).toBe('left');

    // Declared dead after all (as a fence would leave it): another node finds nothing of it to adopt.
    await sql.query("UPDATE aos_nodes SET state = 'dead', fenced_ms = 0, fenced_by = 'test' WHERE name = 'a'");
    const b = await kernelNode('b', url, dir, closers);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(procs.filter((p) => b.table.get(p.pid))).toEqual([]);
    expect(b.cluster?.adopted).toBe(0);
  }, 60_000);

  it('after close (processes left to resume) does nothing: it neither waits for them nor ends them', async () => {
    const url = await pgServer.server.createDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-node-shutdown-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(tape, YAML.stringify({ agents: { hold: ['[SYS_CALL::RECV_MSG] {"timeout_s": 600}'] } }));
    const a = await kernelNode('a', url, dir, closers);
    const proc = await a.spawn({ task: 'hold', model: `replay:${tape}`, name: 'hold' });
    await until(() => a.table.get(proc.pid)?.pcb.state === 'blocked', 20_000, 'the process to wait for a message');
    await a.close();
    // It waited for processes no scheduler runs any more (hung until the test's timeout).
    await a.shutdown();
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    closers.push(() => sql.end());
    expect((await sql.query<{ state: string }>('SELECT state FROM "aos/a".processes')).rows.map((r) => r.state)).toEqual(['blocked']);
  }, 60_000);
});
