/**
 * Red team (issue 36): the shared provider budgets. What one node's bucket is told (a NaN, an
 * Infinity, a Retry-After centuries away, tokens given back into a bucket that refilled) must not
 * lift the database's budget past its capacity, nor poison it for every node; three nodes asking
 * at once stay within the budget.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../kernel/cluster/cluster.js';
import type { Bucket } from '../../kernel/sched/token-bucket.js';
import { until } from '../helpers/until.js';
import { PG_SKIP, drain, postgresPerFile } from '../kernel/cluster/pg-fixture.js';

const pgServer = postgresPerFile();
const open: Cluster[] = [];
const warnings: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
  warnings.length = 0;
});

async function node(url: string, name: string, demand = 1): Promise<Cluster> {
  const c = await Cluster.join({ url, node: name });
  c.attach({
    load: () => ({ processes: 0, in_flight: 0, queued: 0 }),
    demand: () => demand,
    capacity: () => undefined,
    overloaded: () => undefined,
    log: (_l, m) => warnings.push(m),
  });
  open.push(c);
  return c;
}

async function closeNode(c: Cluster): Promise<void> {
  open.splice(open.indexOf(c), 1);
  await c.close();
}

/** The budget's row as the database holds it (read by a plain client, not a node). */
async function row(
  url: string,
  lane: string,
  kind = 'rpm',
): Promise<{ level: number; capacity: number; blocked_ms: number; granted: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ level: number; capacity: number; blocked_ms: string; granted: number }>(
      `SELECT level, capacity, granted, blocked_until_ms - (extract(epoch from clock_timestamp()) * 1000)::bigint AS blocked_ms FROM aos_budgets WHERE lane = $1 AND kind = $2`,
      [lane, kind],
    );
    const got = r.rows[0];
    if (!got) throw new Error(`no budget row for ${lane} ${kind}`);
    return { level: got.level, capacity: got.capacity, granted: got.granted, blocked_ms: Number(got.blocked_ms) };
  } finally {
    await c.end();
  }
}

/** Ask once and wait until the bucket holds something (or the time runs out). */
async function grantOnce(b: Bucket, amount = 1, ms = 1_000): Promise<void> {
  b.waitFor(amount);
  await until(() => b.available() > 0, ms).catch(() => undefined);
}

describe.skipIf(PG_SKIP)('red team: shared budgets', () => {
  it('holds: three nodes draining one budget at once spend no more than its capacity plus its refill', async () => {
    const url = await pgServer.server.createDatabase();
    const nodes = await Promise.all(['a', 'b', 'c'].map((n) => node(url, n, 3)));
    // 1,200 a minute: 20 a second, a burst of 10.
    const buckets = nodes.map((c) => c.buckets('openai', 'rpm', 1_200, 10));
    const started = Date.now();
    const spent = await Promise.all(buckets.map((b) => drain(b, 1_500)));
    const ms = Date.now() - started;
    const total = spent.reduce((s, n) => s + n, 0);
    expect(total).toBeLessThanOrEqual(10 + Math.ceil((1_200 / 60_000) * ms) + 1);
    expect(total).toBeGreaterThanOrEqual(10);
    // What the database says it handed out obeys the same bound (returns not counted back).
    const r = await row(url, 'openai');
    expect(r.granted).toBeLessThanOrEqual(10 + (1_200 / 60_000) * (Date.now() - started) + 1);
    expect(r.level).toBeLessThanOrEqual(r.capacity);
  });

  it('holds: a debt (a request that used more than it reserved) is charged to the shared budget, never credited', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const ba = a.buckets('openai', 'tpm', 60, 100);
    await grantOnce(ba, 100);
    expect(ba.available()).toBe(100);
    ba.take(100);
    ba.adjust(-500);
    await closeNode(a);
    const r = await row(url, 'openai', 'tpm');
    expect(r.level).toBeLessThan(-400);
    expect(Number.isFinite(r.level)).toBe(true);
  });

  // Was a break, mended: SharedBucket keeps a NaN (adjust/waitFor/take) and SharedLimits.grant writes `level - NaN` (or `+ NaN` returned) to aos_budgets.
  it('a NaN told to one node (adjust, waitFor, take) never reaches the database level, and other nodes are still granted', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    const l1 = a.buckets('l1', 'rpm', 6_000, 100);
    l1.adjust(Number.NaN);
    l1.waitFor(1);
    a.buckets('l2', 'tpm', 6_000, 100).waitFor(Number.NaN);
    const l3 = a.buckets('l3', 'tpm', 6_000, 100);
    await grantOnce(l3, 10);
    l3.take(Number.NaN);
    await new Promise((r) => setTimeout(r, 300));
    await closeNode(a);
    const levels = await Promise.all(
      ['l1', 'l2', 'l3'].map((l, i) =>
        row(url, l, i === 0 ? 'rpm' : 'tpm').then(
          (r) => r.level,
          () => 0,
        ),
      ),
    );
    expect(levels.map((l) => Number.isFinite(l))).toEqual([true, true, true]);
    const bb = b.buckets('l1', 'rpm', 6_000, 100);
    await grantOnce(bb, 1);
    expect(bb.waitFor(1)).toBe(0);
  });

  // Was a break, mended: SharedBucket.giveBackIdle returns ±Infinity as `returned`; SharedLimits.grant writes it to the level.
  it('an Infinity told to one node (observeRemaining(-Infinity), adjust(Infinity)) is never settled into the database', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const ba = a.buckets('openai', 'rpm', 6_000, 100);
    await grantOnce(ba, 1);
    ba.observeRemaining(Number.NEGATIVE_INFINITY);
    await closeNode(a);
    expect(Number.isFinite((await row(url, 'openai')).level)).toBe(true);
    const c = await node(url, 'c');
    const bc = c.buckets('gemini', 'rpm', 6_000, 100);
    await grantOnce(bc, 1);
    bc.adjust(Number.POSITIVE_INFINITY);
    await closeNode(c);
    expect(Number.isFinite((await row(url, 'gemini')).level)).toBe(true);
  });

  // Was a break, mended: SharedLimits.grant adds `returned` after capping the refill at capacity (min(cap, refilled) + returned).
  it('tokens given back into a bucket that has refilled never lift the shared level past its capacity', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    // 6,000 a minute: the burst of 10 refills in 100 ms.
    const ba = a.buckets('openai', 'tpm', 6_000, 10);
    await grantOnce(ba, 10);
    expect(ba.available()).toBe(10);
    // The pool's flow: reserve the estimate, the request used none of it, the estimate comes back.
    ba.take(10);
    ba.adjust(10);
    await new Promise((r) => setTimeout(r, 300));
    await closeNode(a);
    const r = await row(url, 'openai', 'tpm');
    expect(r.level).toBeLessThanOrEqual(r.capacity);
    // So a node with many processes waiting never holds more than the burst at once.
    const b = await node(url, 'b', 5);
    const bb = b.buckets('openai', 'tpm', 6_000, 10);
    await grantOnce(bb, 10);
    expect(bb.available()).toBeLessThanOrEqual(10);
  });

  it('holds: drainUntil(NaN) and drainUntil(Infinity) neither poison the row nor block the other nodes', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    const ba = a.buckets('openai', 'rpm', 6_000, 100);
    const bb = b.buckets('openai', 'rpm', 6_000, 100);
    await grantOnce(ba, 1);
    await grantOnce(bb, 1);
    ba.drainUntil(Number.NaN);
    ba.drainUntil(Number.POSITIVE_INFINITY);
    ba.observeRemaining(Number.NaN);
    await new Promise((r) => setTimeout(r, 300));
    const r = await row(url, 'openai');
    expect(Number.isFinite(r.level)).toBe(true);
    expect(r.blocked_ms).toBeLessThanOrEqual(0);
    expect(bb.waitFor(1)).toBe(0);
  });

  // Was a break, mended: SharedLimits.block writes any Retry-After into blocked_until_ms: one node's 429 stops every node for centuries, surviving restarts.
  it('a Retry-After centuries away on one node does not block the budget for every node (and every restart) for centuries', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    const ba = a.buckets('openai', 'rpm', 6_000, 100);
    const bb = b.buckets('openai', 'rpm', 6_000, 100);
    await grantOnce(bb, 1);
    // What parseRetryAfter makes of `Retry-After: 9999999999` (digits only, so accepted).
    ba.drainUntil(Date.now() + 9_999_999_999_000);
    await until(() => bb.waitFor(1) > 0, 1_000).catch(() => undefined);
    const day = 24 * 3_600_000;
    expect((await row(url, 'openai')).blocked_ms).toBeLessThanOrEqual(day);
    expect(bb.waitFor(1)).toBeLessThanOrEqual(day);
  });
  // Was a break, mended: SharedLimits.listen's 'error' handler drops the NOTIFY connection and nothing opens it again: after one blip, 429s reach this node only by the heartbeat's poll.
  it("after its NOTIFY connection drops (a database blip), a node again hears another's 429 at once, not at its next heartbeat", async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    const ba = a.buckets('gemini', 'rpm', 6_000, 100);
    const bb = b.buckets('gemini', 'rpm', 6_000, 100);
    await grantOnce(ba, 1);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'aos:a:listen'");
    await admin.end();
    await until(() => warnings.some((w) => w.includes('NOTIFY connection was lost')), 2_000);
    // Time to come back (two heartbeats), then a 429 on b just after one of a's heartbeats.
    await new Promise((r) => setTimeout(r, 2_200));
    const last = a.member.lastBeat;
    await until(() => a.member.lastBeat !== last, 2_000);
    // a holds allowance when b's 429 comes: only the NOTIFY (or the next heartbeat) takes it away.
    await grantOnce(ba, 1);
    expect(ba.available()).toBeGreaterThan(0);
    bb.drainUntil(Date.now() + 5_000);
    const heard = await until(() => ba.available() <= 0, 400).then(
      () => true,
      () => false,
    );
    expect(heard).toBe(true);
  });
});
