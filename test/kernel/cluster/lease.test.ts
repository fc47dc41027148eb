/**
 * The cluster's lease (AOS_CLUSTER_LEASE_S; kernel/cluster/membership.ts clusterLease): one for
 * every node. The first node sets it; a node started without one takes the cluster's; a node
 * started with another is refused while any other node is live, and changes it once none is; the
 * fence reads the cluster's lease (a node 2.5 s behind is dead under a 2 s lease, alive under 5 s);
 * a lease out of range or not a number is refused with the variable named.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../../kernel/cluster/cluster.js';
import { clusterFromEnv } from '../../../daemon/cluster-node.js';
import { param } from '../../../sys/param.js';
import { joinNode, PG_SKIP, postgresPerFile, stopBeating } from './pg-fixture.js';

const pgServer = postgresPerFile();
const open: Cluster[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});

const node = (url: string, name: string, leaseMs?: number): Promise<Cluster> =>
  joinNode(url, name, open, undefined, leaseMs);

/** Make `name`'s heartbeat look `ms` old. */
async function behind(c: Cluster, name: string, ms: number): Promise<void> {
  await c.member.fenced(async (tx) => {
    await tx.query('UPDATE aos_nodes SET heartbeat_ms = heartbeat_ms - $2 WHERE name = $1', [name, ms]);
  });
}

async function close(c: Cluster): Promise<void> {
  open.splice(open.indexOf(c), 1);
  await c.close();
}

describe.skipIf(PG_SKIP)("the cluster's lease", () => {
  it('is set by the first node, taken by the others, refused when another is asked while a node is live, changed when none is', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a', 2_000);
    expect([a.member.leaseMs, a.member.heartbeatMs]).toEqual([2_000, 400]);
    const b = await node(url, 'b');
    expect(b.member.leaseMs).toBe(2_000);
    expect(b.member.heartbeatMs).toBe(400);
    await expect(Cluster.join({ url, node: 'c', leaseMs: 3_000 })).rejects.toThrow(
      /lease is 2 s and this node was started with AOS_CLUSTER_LEASE_S=3: every node keeps one lease \(live: a, b\)/,
    );
    // The same lease again is no change.
    expect((await node(url, 'd', 2_000)).member.leaseMs).toBe(2_000);
    for (const c of [...open]) await close(c);
    // Nobody live: a node with another lease changes it, and the next takes that one.
    expect((await node(url, 'e', 3_000)).member.leaseMs).toBe(3_000);
    expect((await node(url, 'f')).member.leaseMs).toBe(3_000);
  });

  it('a cluster without the row (nodes of an older aos) has param.clusterLeaseMs: a node asking another is refused while one of them is live', async () => {
    const url = await pgServer.server.createDatabase();
    const old = await node(url, 'old');
    await old.member.fenced(async (tx) => {
      await tx.query("DELETE FROM aos_meta WHERE key = 'lease_ms'");
    });
    await expect(Cluster.join({ url, node: 'new', leaseMs: 2_000 })).rejects.toThrow(/lease is 5 s .*\(live: old\)/);
    await close(old);
    expect((await node(url, 'new', 2_000)).member.leaseMs).toBe(2_000);
  });

  it('a cluster started without one keeps param.clusterLeaseMs, with a heartbeat a second', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    expect([a.member.leaseMs, a.member.heartbeatMs]).toEqual([param.clusterLeaseMs, param.clusterHeartbeatMs]);
    await expect(Cluster.join({ url, node: 'b', leaseMs: 2_000 })).rejects.toThrow(/lease is 5 s/);
  });

  it('the fence reads the cluster lease: 2.5 s behind is dead under 2 s and alive under 5 s', async () => {
    for (const [lease, state] of [
      [2_000, 'dead'],
      [undefined, 'live'],
    ] as const) {
      const url = await pgServer.server.createDatabase();
      const a = await node(url, 'a', lease);
      const b = await node(url, 'b');
      stopBeating(b);
      await b.member.beat();
      await behind(a, 'b', 2_500);
      await a.member.beat();
      expect(a.status().nodes.find((n) => n.name === 'b')?.state).toBe(state);
      for (const c of [...open]) await close(c);
    }
  });

  it('out of range or not a number: refused, the variable named', async () => {
    const url = await pgServer.server.createDatabase();
    for (const ms of [500, 1_999, 600_001, 2_500.5, Number.NaN])
      await expect(Cluster.join({ url, node: 'x', leaseMs: ms })).rejects.toThrow(/AOS_CLUSTER_LEASE_S must be/);
    const env = (value: string): NodeJS.ProcessEnv => ({
      AOS_DATABASE_URL: url,
      AOS_NODE: 'n',
      AOS_CLUSTER_LEASE_S: value,
    });
    const home = await mkdtemp(path.join(os.tmpdir(), 'aos-lease-'));
    expect(() => clusterFromEnv(env('soon'), home)).toThrow(
      /AOS_CLUSTER_LEASE_S must be a number of seconds \(got "soon"\)/,
    );
    expect(clusterFromEnv(env('2.5'), home)?.leaseMs).toBe(2_500);
    expect(clusterFromEnv(env(' '), home)?.leaseMs).toBeUndefined();
    await rm(home, { recursive: true, force: true });
  });
});
