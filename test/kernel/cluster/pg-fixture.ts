/**
 * One throwaway PostgreSQL per test file (test/helpers/postgres.ts), a fresh database per test,
 * and a skip with a message where no server can be started here.
 */
import { afterAll, beforeAll } from 'vitest';
import { Cluster } from '../../../kernel/cluster/cluster.js';
import type { Bucket } from '../../../kernel/sched/token-bucket.js';
import { pgSkipReason, startPostgres, type ThrowawayPg } from '../../helpers/postgres.js';

export const PG_SKIP = pgSkipReason();
if (PG_SKIP) console.warn(`skipped: ${PG_SKIP}`);

export function postgresPerFile(): { readonly server: ThrowawayPg } {
  let server: ThrowawayPg | null = null;
  beforeAll(async () => {
    if (!PG_SKIP) server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server(): ThrowawayPg {
      if (!server) throw new Error('the PostgreSQL server is started in beforeAll');
      return server;
    },
  };
}

/** A node that stopped: its heartbeat timer no longer runs (a beat under way finishes). */
export function stopBeating(c: Cluster): void {
  c.member.stop();
}

/** Spend every unit a bucket can get, asking as the pool does, for `ms`; how many were spent. */
export async function drain(b: Bucket, ms: number): Promise<number> {
  let spent = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (b.waitFor(1) === 0) {
      b.take(1);
      spent++;
    } else await new Promise((r) => setTimeout(r, 3));
  }
  return spent;
}

/** A node of the cluster at `url` with a kernel that reports a steady load, kept in `open` to be closed after the test. */
export async function joinNode(
  url: string,
  name: string,
  open: Cluster[],
  log: (level: string, message: string) => void = () => undefined,
  /** The lease the node is started with (AOS_CLUSTER_LEASE_S), if any. */
  leaseMs?: number,
): Promise<Cluster> {
  const c = await Cluster.join({ url, node: name, ...(leaseMs === undefined ? {} : { leaseMs }) });
  c.attach({
    load: () => ({ processes: 1, in_flight: 0, queued: 0 }),
    demand: () => 1,
    capacity: () => undefined,
    overloaded: () => undefined,
    log,
  });
  open.push(c);
  return c;
}
