/**
 * The rows behind a shared budget (shared-limits.ts grants from them): its row in aos_budgets,
 * made full by the first node to use it and locked for each grant, and the processes each live
 * node has waiting on it (aos_budget_demand), which decide a node's share.
 */
import { param } from '../../sys/param.js';
import { NOW_MS, type Tx } from './db.js';
import type { SharedBucket } from './shared-bucket.js';

export interface BudgetRow {
  per_minute: number;
  capacity: number;
  level: number;
  updated_ms: number;
  blocked_until_ms: number;
  now: number;
}

/** The budget's row, locked for this grant; `rowsMade` holds the buckets whose row this node has made or found. */
export async function lockRow(
  tx: Tx,
  b: SharedBucket,
  rowsMade: Set<SharedBucket>,
  warn: (message: string) => void,
): Promise<BudgetRow> {
  if (!rowsMade.has(b)) await makeRow(tx, b, warn);
  const got = await tx.query<BudgetRow>(
    `SELECT per_minute, capacity, level, updated_ms, blocked_until_ms, ${NOW_MS} AS now FROM aos_budgets WHERE lane = $1 AND kind = $2 FOR UPDATE`,
    [b.lane, b.kind],
  );
  const row = got.rows[0];
  if (!row) {
    rowsMade.delete(b);
    throw new Error(
      `the budget ${b.lane} ${b.kind} has no row in the cluster (removed by hand?); it is made again at the next grant`,
    );
  }
  rowsMade.add(b);
  return row;
}

/**
 * Made full by the first node to use it; once per bucket and start. The budget is the provider's,
 * one for the cluster: a node whose AOS_LIMITS say otherwise sets it for all at its start (and says so).
 */
async function makeRow(tx: Tx, b: SharedBucket, warn: (message: string) => void): Promise<void> {
  const changed = await tx.query<{ per_minute: number }>(
    `WITH old AS (SELECT per_minute FROM aos_budgets WHERE lane = $1 AND kind = $2)
       INSERT INTO aos_budgets (lane, kind, per_minute, capacity, level, updated_ms) VALUES ($1, $2, $3, $4, $4, ${NOW_MS})
       ON CONFLICT (lane, kind) DO UPDATE SET per_minute = EXCLUDED.per_minute, capacity = EXCLUDED.capacity
       WHERE aos_budgets.per_minute <> EXCLUDED.per_minute OR aos_budgets.capacity <> EXCLUDED.capacity
       RETURNING (SELECT per_minute FROM old) AS per_minute`,
    [b.lane, b.kind, b.perMinute, b.capacity],
  );
  const was = changed.rows[0]?.per_minute;
  if (was !== undefined && was !== null)
    warn(
      `cluster: ${b.lane} ${b.kind} was ${was} a minute for every node; this node's AOS_LIMITS make it ${b.perMinute}`,
    );
}

/** Processes waiting on this budget across live nodes, this node's (`node`) count written first. */
export async function totalDemand(tx: Tx, b: SharedBucket, node: string, demand: number): Promise<number> {
  const sum = await tx.query<{ total: number }>(
    `WITH mine AS (
         INSERT INTO aos_budget_demand (lane, kind, node, demand, at_ms) VALUES ($1, $2, $3, $4, ${NOW_MS})
         ON CONFLICT (lane, kind, node) DO UPDATE SET demand = EXCLUDED.demand, at_ms = EXCLUDED.at_ms
         RETURNING demand)
       SELECT COALESCE(sum(d.demand), 0)::bigint + (SELECT demand FROM mine) AS total
       FROM aos_budget_demand d JOIN aos_nodes n ON n.name = d.node AND n.state = 'live'
       WHERE d.lane = $1 AND d.kind = $2 AND d.node <> $3 AND d.at_ms > ${NOW_MS} - $5`,
    [b.lane, b.kind, node, demand, param.clusterDemandFreshMs],
  );
  return sum.rows[0]?.total ?? demand;
}
