import { param } from '../../sys/param.js';
import { visibleText } from '../../protocol/visible-text.js';
import { NOW_MS, type Tx } from './db.js';

/**
 * The cluster's lease, one for every node (aos_meta `lease_ms`): a node started with
 * AOS_CLUSTER_LEASE_S sets it when no other node is live within the lease in force, and is refused
 * while one is (two leases in one cluster would have a short one's node fence the others between
 * their heartbeats); a node started without it takes the cluster's. A cluster without one has
 * param.clusterLeaseMs. In the join's transaction: the row's lock orders two joins.
 */
export async function clusterLease(tx: Tx, name: string, want: number | undefined): Promise<number> {
  // A cluster without the row has run on param.clusterLeaseMs (nodes of a version before the row
  // keep to it): that is the lease in force, changed below only while no other node is live.
  await tx.query("INSERT INTO aos_meta (key, value) VALUES ('lease_ms', $1) ON CONFLICT (key) DO NOTHING", [
    String(param.clusterLeaseMs),
  ]);
  const row = await tx.query<{ value: string }>("SELECT value FROM aos_meta WHERE key = 'lease_ms' FOR UPDATE");
  const have = Number(row.rows[0]?.value);
  const valid = Number.isSafeInteger(have) && have > 0;
  if (valid && (want === undefined || want === have)) return have;
  const lease = want ?? param.clusterLeaseMs;
  if (valid) {
    const live = await tx.query<{ name: string }>(
      `SELECT name FROM aos_nodes WHERE state = 'live' AND name <> $1 AND ${NOW_MS} - heartbeat_ms < $2 ORDER BY name`,
      [name, have],
    );
    if (live.rows.length > 0)
      throw new Error(
        `the cluster's lease is ${have / 1000} s and this node was started with AOS_CLUSTER_LEASE_S=${lease / 1000}: every node keeps one lease (live: ${live.rows.map((r) => visibleText(r.name)).join(', ')}); start it with AOS_CLUSTER_LEASE_S=${have / 1000} or without it, or stop every node to change the lease`,
      );
  }
  await tx.query("UPDATE aos_meta SET value = $1 WHERE key = 'lease_ms'", [String(lease)]);
  return lease;
}
