/**
 * The model pool's budgets shared by nodes through PostgreSQL (issue 36): grants never add up to
 * more than the budget, shares follow the processes waiting (not the nodes), a 429 on one node
 * blocks every node, and allowance left unused goes back to the cluster.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../../kernel/cluster/cluster.js';
import { until } from '../../helpers/until.js';
import { PG_SKIP, drain, postgresPerFile } from './pg-fixture.js';
import { startPostgres } from '../../helpers/postgres.js';

const pgServer = postgresPerFile();
const open: Cluster[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});

async function node(
  url: string,
  name: string,
  demand = 1,
): Promise<{ c: Cluster; wakes: () => number; setDemand(n: number): void }> {
  const c = await Cluster.join({ url, node: name });
  let wakes = 0;
  let d = demand;
  c.attach({
    load: () => ({ processes: 0, in_flight: 0, queued: 0 }),
    demand: () => d,
    capacity: () => wakes++,
    overloaded: () => undefined,
    log: () => undefined,
  });
  open.push(c);
  return { c, wakes: () => wakes, setDemand: (n) => (d = n) };
}

describe.skipIf(PG_SKIP)('shared provider budgets', () => {
  it('two nodes spending one budget as fast as they can together stay within it', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    // 600 a minute = 10 a second, a burst of 10.
    const ba = a.c.buckets('openai', 'rpm', 600, 10);
    const bb = b.c.buckets('openai', 'rpm', 600, 10);
    const started = Date.now();
    const [sa, sb] = await Promise.all([drain(ba, 1_500), drain(bb, 1_500)]);
    const seconds = (Date.now() - started) / 1000;
    // The burst plus the refill over the run, with a grant's worth of slack for the last refill.
    expect(sa + sb).toBeLessThanOrEqual(10 + Math.ceil(10 * seconds) + 1);
    expect(sa + sb).toBeGreaterThanOrEqual(10);
    expect(sa).toBeGreaterThan(0);
    expect(sb).toBeGreaterThan(0);
    // A local bucket each would have let through twice the budget: the control that this can fail.
    expect(sa + sb).toBeLessThan(2 * (10 + 10 * seconds));
  });

  it('shares follow the processes waiting on each node, not the nodes', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a', 9);
    const b = await node(url, 'b', 1);
    const ba = a.c.buckets('openai', 'rpm', 60, 100);
    const bb = b.c.buckets('openai', 'rpm', 60, 100);
    // Both have said what they wait for; then each asks once for all of it.
    bb.waitFor(1);
    await until(() => bb.available() > 0);
    ba.waitFor(9);
    await until(() => ba.available() > 0);
    bb.waitFor(100);
    await new Promise((r) => setTimeout(r, 200));
    // A holds its 9 waiting processes' worth, B one process's share of what was left: 9 : 1 waiting.
    expect(ba.available()).toBe(9);
    expect(bb.available()).toBeLessThanOrEqual(1 + Math.ceil((100 - 1 - 9) / 10) + 1);
  });

  it('a 429 on one node blocks the budget on every node at once (NOTIFY), and the block ends', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    const ba = a.c.buckets('gemini', 'rpm', 6000, 100);
    const bb = b.c.buckets('gemini', 'rpm', 6000, 100);
    bb.waitFor(1);
    await until(() => bb.available() > 0);
    ba.drainUntil(Date.now() + 800);
    // B hears it without waiting for a heartbeat (1 s): it holds nothing and waits out the block.
    await until(() => bb.waitFor(1) > 100, 500);
    expect(bb.available()).toBeLessThanOrEqual(0);
    expect(a.c.status().budgets[0]).toMatchObject({ lane: 'gemini', kind: 'rpm', blocked: true });
    await new Promise((r) => setTimeout(r, 900));
    await until(() => bb.waitFor(1) === 0);
  });

  it('allowance left unused goes back to the cluster; a node that left gives back what it held', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a', 50);
    const b = await node(url, 'b', 1);
    const ba = a.c.buckets('openai', 'tpm', 60, 100);
    const bb = b.c.buckets('openai', 'tpm', 60, 100);
    ba.waitFor(1);
    await until(() => ba.available() > 0);
    const held = ba.available();
    expect(held).toBe(50);
    await a.c.close();
    open.splice(open.indexOf(a.c), 1);
    // B can now have it all again (60 a minute refills 1 a second: the 100 is what A gave back).
    bb.waitFor(100);
    await until(() => bb.available() >= 95, 3_000);
  });

  it('a fenced node is granted nothing', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    const bb = b.c.buckets('openai', 'rpm', 6000, 100);
    await a.c.member.fenced((tx) => tx.query("UPDATE aos_nodes SET state = 'dead', fenced_by = 'a' WHERE name = 'b'"));
    bb.waitFor(1);
    await until(() => b.c.limits.refusedFenced > 0);
    expect(bb.available()).toBe(0);
  });
});

describe.skipIf(PG_SKIP)("a provider's refusal cuts every node's adaptive limit", () => {
  it('is heard by the other nodes, not by the one that said it, once per burst', async () => {
    const url = await pgServer.server.createDatabase();
    const heard: Record<string, string[]> = { a: [], b: [], c: [] };
    const nodes = await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        const c = await Cluster.join({ url, node: name });
        c.attach({
          load: () => ({ processes: 0, in_flight: 0, queued: 0 }),
          demand: () => 0,
          capacity: () => undefined,
          overloaded: (p) => heard[name]?.push(p),
          log: () => undefined,
        });
        open.push(c);
        return c;
      }),
    );
    const [a, b] = nodes as [Cluster, Cluster, Cluster];
    for (let i = 0; i < 10; i++) a.limits.overload('openai');
    b.limits.overload('gemini');
    await until(() => (heard.c?.length ?? 0) >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(heard.a).toEqual(['gemini']);
    expect(heard.b).toEqual(['openai']);
    expect([...(heard.c ?? [])].sort()).toEqual(['gemini', 'openai']);
  });
});

describe.skipIf(PG_SKIP)('a database that goes away', () => {
  it('stops the grants, never the node; its warnings come once a minute, not at every ask', async () => {
    const own = await startPostgres();
    const url = await own.createDatabase();
    const logs: string[] = [];
    const c = await Cluster.join({ url, node: 'a' });
    c.attach({
      load: () => ({ processes: 0, in_flight: 0, queued: 0 }),
      demand: () => 1,
      capacity: () => undefined,
      overloaded: () => undefined,
      log: (_l, m) => logs.push(m),
    });
    open.push(c);
    const b = c.buckets('openai', 'rpm', 600, 10);
    await own.stop();
    // The pool asks as often as it wakes: every 20-250 ms for two seconds.
    expect(await drain(b, 2_000)).toBe(0);
    expect(logs.filter((m) => m.startsWith('cluster: no grant')).length).toBe(1);
    expect(logs.filter((m) => m.startsWith('cluster: heartbeat failed')).length).toBeLessThanOrEqual(1);
    // Nor does it ask at every wake: a failed grant waits, doubling up to a heartbeat (20, 40, … 1000 ms).
    expect(c.limits.failedGrants).toBeLessThanOrEqual(8);
    expect(c.status().error).not.toBeNull();
  }, 30_000);
});
