/**
 * A cluster node shut down in process (Kernel.shutdown: every process ended) commits those ends
 * before it leaves the cluster: its store commits only while the node is live, and the kills it
 * committed after leaving were lost — another node then adopted the processes the shutdown had ended.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../../../kernel/kernel.js';
import { until } from '../../helpers/until.js';
import { PG_SKIP, postgresPerFile } from './pg-fixture.js';
import { clusterScratch, declareDead, kernelNode, nodeLog, runClosers } from './kernel-node.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(() => runClosers(closers));

/** Node a with `count` processes waiting for a message, and a client of the database. */
async function nodeWithWaiting(
  count: number,
): Promise<{ url: string; dir: string; a: Kernel; pids: number[]; sql: pg.Client }> {
  const { url, dir, tape } = await clusterScratch(pgServer.server, closers, 'node-shutdown');
  const model = `replay:${await tape({ hold: ['[SYS_CALL::RECV_MSG] {"timeout_s": 600}'] })}`;
  const a = await kernelNode('a', url, dir, closers);
  const pids = (
    await Promise.all(Array.from({ length: count }, () => a.spawn({ task: 'hold', model, name: 'hold' })))
  ).map((p) => p.pid);
  await until(
    () => pids.every((pid) => a.table.get(pid)?.pcb.state === 'blocked'),
    20_000,
    'the processes to wait for a message',
  );
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  closers.push(() => sql.end());
  return { url, dir, a, pids, sql };
}

describe.skipIf(PG_SKIP)("a cluster node's shutdown", () => {
  it('commits the ends of its processes and a clean stop before it leaves: no other node adopts them', async () => {
    const { url, dir, a, pids, sql } = await nodeWithWaiting(3);
    const logged = nodeLog.length;

    await a.shutdown();

    expect(nodeLog.slice(logged).filter((line) => / a (error|warn) /.test(line))).toEqual([]);
    const states = await sql.query<{ pid: string; state: string }>(
      'SELECT pid, state FROM "aos/a".processes ORDER BY pid',
    );
    expect(states.rows.map((r) => r.state)).toEqual(['killed', 'killed', 'killed']);
    const running = await sql.query<{ value: string }>(`SELECT value FROM "aos/a".meta WHERE key = 'kernel_running'`);
    expect(running.rows[0]?.value).toBe('0');
    expect((await sql.query<{ state: string }>("SELECT state FROM aos_nodes WHERE name = 'a'")).rows[0]?.state).toBe(
      'left',
    );

    // Declared dead after all (as a fence would leave it): another node finds nothing of it to adopt.
    await declareDead(sql, 'a');
    const b = await kernelNode('b', url, dir, closers);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(pids.filter((pid) => b.table.get(pid))).toEqual([]);
    expect(b.cluster?.adopted).toBe(0);
  }, 60_000);

  it('after close (processes left to resume) does nothing: it neither waits for them nor ends them', async () => {
    const { a, sql } = await nodeWithWaiting(1);
    await a.close();
    // It waited for processes no scheduler runs any more (hung until the test's timeout).
    await a.shutdown();
    expect(
      (await sql.query<{ state: string }>('SELECT state FROM "aos/a".processes')).rows.map((r) => r.state),
    ).toEqual(['blocked']);
  }, 60_000);
});
