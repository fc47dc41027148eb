/**
 * AOS_DATABASE_URL makes the kernel a node of that cluster (kernel/cluster). Its name is AOS_NODE;
 * without it, the name this home had last time (`$AOS_HOME/node`, written at every start as a
 * node), else the host's name: so `aos kernel restart` from a shell without AOS_NODE is the same node.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export function clusterFromEnv(
  env: NodeJS.ProcessEnv,
  home: string,
  workspace = '',
): { url: string; node: string; workspace: { path: string; shared: boolean }; leaseMs?: number } | undefined {
  const url = env.AOS_DATABASE_URL?.trim();
  if (!url) return undefined;
  const file = path.join(home, 'node');
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  const node = env.AOS_NODE?.trim() || kept || hostname().split('.')[0] || 'node';
  if (node !== kept) writeFileSync(file, `${node}\n`, { mode: 0o600 });
  // AOS_SHARE_WORKSPACE=1: every node reaches this workspace at this path, so a dead node's trees can go on elsewhere.
  // AOS_CLUSTER_LEASE_S: the cluster's lease in seconds (one for every node; Cluster.join checks its range).
  const leaseText = env.AOS_CLUSTER_LEASE_S?.trim();
  const leaseS = leaseText ? Number(leaseText) : undefined;
  if (leaseS !== undefined && !Number.isFinite(leaseS))
    throw new Error(`AOS_CLUSTER_LEASE_S must be a number of seconds (got "${leaseText}")`);
  return {
    url,
    node,
    workspace: { path: workspace, shared: env.AOS_SHARE_WORKSPACE === '1' },
    ...(leaseS === undefined ? {} : { leaseMs: Math.round(leaseS * 1000) }),
  };
}
