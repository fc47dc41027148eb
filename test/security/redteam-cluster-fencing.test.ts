/**
 * Red team (issue 36): fencing. A node declared dead (its row `dead`, or its epoch replaced)
 * commits nothing through `member.fenced` afterwards: not a grant, a 429 block or a settlement;
 * a fence landing inside a commit waits for it; a fence of one node never cuts off another.
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cluster, FencedError } from '../../kernel/cluster/cluster.js';
import { param } from '../../sys/param.js';
import { until } from '../helpers/until.js';
import { joinNode, PG_SKIP, postgresPerFile, stopBeating } from '../kernel/cluster/pg-fixture.js';

const pgServer = postgresPerFile();
const open: Cluster[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
});

const node = (url: string, name: string): Promise<Cluster> => joinNode(url, name, open);

/** A plain session on the database (an operator, or another host's node). */
async function sql(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

async function count(db: pg.Client, key: string): Promise<number> {
  return (
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM aos_meta WHERE key = $1', [key])).rows[0]?.n ?? -1
  );
}

/**
 * Nodes a and b a lease behind c; each runs its fence at the same moment (as two nodes paused
 * between their heartbeat and their fence would): who each declared dead.
 */
async function crossFence(
  url: string,
): Promise<{ a: Cluster; b: Cluster; db: pg.Client; byA: string[]; byB: string[] }> {
  // c keeps the freshest heartbeat (so a and b are a lease behind it) but beats no more: only a and b fence.
  const c = await node(url, 'c');
  const a = await node(url, 'a');
  const b = await node(url, 'b');
  stopBeating(c);
  stopBeating(a);
  stopBeating(b);
  const db = await sql(url);
  await db.query("UPDATE aos_nodes SET heartbeat_ms = heartbeat_ms - $1 WHERE name IN ('a', 'b')", [
    param.clusterLeaseMs + 1_000,
  ]);
  type Fencer = { fenceDead(): Promise<Array<{ name: string }>> };
  // The one declared dead first fences nobody: its fence is refused (FencedError) or gives way (a deadlock).
  const fence = (n: Cluster): Promise<Array<{ name: string }>> =>
    (n.member as unknown as Fencer)
      .fenceDead()
      .catch((e: unknown) => (e instanceof FencedError ? [] : Promise.reject(e as Error)));
  const [byA, byB] = await Promise.all([fence(a), fence(b)]);
  return { a, b, db, byA: byA.map((n) => n.name), byB: byB.map((n) => n.name) };
}

const insert = (key: string) => (tx: pg.PoolClient) =>
  tx.query('INSERT INTO aos_meta (key, value) VALUES ($1, $2)', [key, 'x']);

describe.skipIf(PG_SKIP)('red team: fencing', () => {
  it('holds: a fence landing between the key-share check and COMMIT waits for that commit; nothing commits after it', async () => {
    const url = await pgServer.server.createDatabase();
    const b = await node(url, 'b');
    const db = await sql(url);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inFlight = b.member.fenced(async (tx) => {
      await gate;
      await insert('before-fence')(tx);
    });
    await new Promise((r) => setTimeout(r, 50));
    let fenced = false;
    const fence = db
      .query("UPDATE aos_nodes SET state = 'dead', fenced_by = 'op' WHERE name = 'b'")
      .then(() => (fenced = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(fenced).toBe(false);
    release();
    await inFlight;
    await fence;
    expect(await count(db, 'before-fence')).toBe(1);
    await expect(b.member.fenced(insert('after-fence'))).rejects.toBeInstanceOf(FencedError);
    expect(await count(db, 'after-fence')).toBe(0);
  });

  it("holds: a node's long commit does not hold off its own heartbeat, yet a fence (or any change of its epoch) still waits for it", async () => {
    const url = await pgServer.server.createDatabase();
    // The transaction below stays idle while the test looks: the server must not end it meanwhile (its sessions take this at connect).
    const idle = param.clusterIdleTxMs;
    (param as { clusterIdleTxMs: number }).clusterIdleTxMs = 60_000;
    const b = await node(url, 'b').finally(() => ((param as { clusterIdleTxMs: number }).clusterIdleTxMs = idle));
    const db = await sql(url);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // A transaction of b's that stays open, as a large tree's move does (its fence check made: the row held).
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const inFlight = b.member.fenced(async (tx) => {
      entered();
      await gate;
      await insert('long-commit')(tx);
    });
    await inside;
    // Its heartbeat lands meanwhile (it used to wait for the commit: a move longer than the lease got the mover declared dead).
    const before = Number(
      (await db.query<{ hb: string }>("SELECT heartbeat_ms AS hb FROM aos_nodes WHERE name = 'b'")).rows[0]?.hb,
    );
    await new Promise((r) => setTimeout(r, 5));
    const beat = await Promise.race([
      b.member.beat().then(() => 'beat'),
      new Promise((r) => setTimeout(() => r('held off'), 10_000)),
    ]);
    expect(beat).toBe('beat');
    // ...while the long transaction is still open.
    const open = await db.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'aos:b' AND state = 'idle in transaction'",
    );
    expect(open.rows).toHaveLength(1);
    expect(
      Number((await db.query<{ hb: string }>("SELECT heartbeat_ms AS hb FROM aos_nodes WHERE name = 'b'")).rows[0]?.hb),
    ).toBeGreaterThan(before);
    // A change of its epoch (another host taking the name over) waits for the commit, as a fence does.
    let changed = false;
    const takeover = db
      .query("UPDATE aos_nodes SET epoch = nextval('aos_epoch') WHERE name = 'b'")
      .then(() => (changed = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(changed).toBe(false);
    release();
    await inFlight;
    await takeover;
    expect(await count(db, 'long-commit')).toBe(1);
    await expect(b.member.fenced(insert('after-takeover'))).rejects.toBeInstanceOf(FencedError);
  });

  it('holds: the same name taken over from another host: the old node grants, blocks and settles nothing, and cannot take the name back', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const old = await node(url, 'dup');
    const bo = old.buckets('openai', 'rpm', 6_000, 100);
    const ba = a.buckets('openai', 'rpm', 6_000, 100);
    bo.waitFor(1);
    await until(() => bo.available() > 0);
    const db = await sql(url);
    // Another host's kernel joins as "dup" (a lease after dup looked stopped): a new epoch.
    await db.query(
      "UPDATE aos_nodes SET epoch = nextval('aos_epoch'), host = 'other-host', os_pid = 1, heartbeat_ms = (extract(epoch from clock_timestamp()) * 1000)::bigint WHERE name = 'dup'",
    );
    const before = (
      await db.query<{ level: number; granted: number }>("SELECT level, granted FROM aos_budgets WHERE lane = 'openai'")
    ).rows[0];
    // A 429, a settlement of what it holds, a new grant: all under the replaced epoch.
    const other = old.buckets('anthropic', 'rpm', 6_000, 100);
    other.waitFor(1);
    await until(() => old.limits.refusedFenced > 0);
    bo.drainUntil(Date.now() + 60_000);
    bo.take(1);
    bo.adjust(-50);
    await old.limits.close();
    await expect(old.member.fenced(insert('old-dup'))).rejects.toBeInstanceOf(FencedError);
    await old.member.beat();
    const after = (
      await db.query<{ level: number; granted: number; blocked: string }>(
        "SELECT level, granted, blocked_until_ms AS blocked FROM aos_budgets WHERE lane = 'openai'",
      )
    ).rows[0];
    expect(Number(after?.blocked)).toBe(0);
    expect(after?.granted).toBe(before?.granted);
    expect(after?.level).toBeGreaterThanOrEqual(before?.level ?? Infinity);
    expect(await count(db, 'old-dup')).toBe(0);
    const row = (await db.query<{ host: string }>("SELECT host FROM aos_nodes WHERE name = 'dup'")).rows[0];
    expect(row?.host).toBe('other-host');
    expect(other.available()).toBe(0);
    // The other nodes are still served.
    ba.waitFor(1);
    await until(() => ba.available() > 0);
  });

  it('holds: a node rejoining while its old transaction is open: the join waits, and the old epoch commits nothing after it', async () => {
    const url = await pgServer.server.createDatabase();
    const b = await node(url, 'b');
    const db = await sql(url);
    const oldEpoch = b.member.epoch;
    // Its row looks a lease old (as after a pause), so a join of its name is allowed.
    await db.query("UPDATE aos_nodes SET heartbeat_ms = heartbeat_ms - $1 WHERE name = 'b'", [
      param.clusterLeaseMs + 1_000,
    ]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inFlight = b.member.fenced(async (tx) => {
      await gate;
      await insert('old-open')(tx);
    });
    await new Promise((r) => setTimeout(r, 50));
    let joined = false;
    const rejoin = b.member.join().then(() => (joined = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(joined).toBe(false);
    release();
    await inFlight;
    await rejoin;
    expect(b.member.epoch).toBeGreaterThan(oldEpoch);
    expect(await count(db, 'old-open')).toBe(1);
    // A commit still carrying the old epoch (begun before the rejoin finished) is refused.
    const stale = Object.create(b.member) as typeof b.member;
    stale.epoch = oldEpoch;
    await expect(stale.fenced(insert('old-late'))).rejects.toBeInstanceOf(FencedError);
    expect(await count(db, 'old-late')).toBe(0);
  });

  it('holds: two stale nodes fencing each other at once: one fences the other, which commits nothing under its old epoch and rejoins', async () => {
    const url = await pgServer.server.createDatabase();
    const { a, b, db, byA, byB } = await crossFence(url);
    // Exactly one fence landed (or none, when both gave way to a deadlock: the next heartbeats decide).
    expect(byA.length + byB.length).toBeLessThanOrEqual(1);
    if (byA.length + byB.length === 0) return;
    const [winner, loser] = byA.length === 1 ? [a, b] : [b, a];
    const lost = loser.member.epoch;
    await expect(loser.member.fenced(insert('late-loser'))).rejects.toBeInstanceOf(FencedError);
    expect(await count(db, 'late-loser')).toBe(0);
    await winner.member.fenced(insert('winner'));
    await loser.member.beat();
    expect(loser.member.epoch).toBeGreaterThan(lost);
  });

  // Was a break, mended: Membership.fenceDead is not a fenced commit: a node declared dead (by the other, at the same moment) still commits its own fence.
  it('two nodes fencing each other at once: the one declared dead first does not commit its fence of the other', async () => {
    const url = await pgServer.server.createDatabase();
    const { db } = await crossFence(url);
    const rows = (
      await db.query<{ name: string; state: string; fenced_by: string | null }>(
        "SELECT name, state, fenced_by FROM aos_nodes WHERE name IN ('a', 'b') ORDER BY name",
      )
    ).rows;
    expect(rows.filter((r) => r.state === 'dead').length).toBeLessThanOrEqual(1);
  });

  // Was a break (a full run, on a loaded machine): the other's fence ended this node's session while
  // it wrote, and the socket's own error (EPIPE, no SQLSTATE) escaped the fence instead of giving way.
  it.each(['EPIPE', 'ECONNRESET'])(
    'a fence whose session is ended under it (%s) gives way: it fences nobody now',
    async (code) => {
      const url = await pgServer.server.createDatabase();
      const a = await node(url, 'a');
      stopBeating(a);
      const member = a.member as unknown as {
        fenced: (...args: unknown[]) => Promise<unknown>;
        fenceDead(): Promise<Array<{ name: string }>>;
      };
      const lost = Object.assign(new Error(`write ${code}`), { code, errno: -32, syscall: 'write' });
      const spy = vi.spyOn(member, 'fenced').mockRejectedValueOnce(lost);
      await expect(member.fenceDead()).resolves.toEqual([]);
      spy.mockRestore();
    },
  );

  it('holds: node names with quotes, NUL, newlines, unicode or 64+ characters are refused clearly', async () => {
    const url = await pgServer.server.createDatabase();
    for (const name of [
      "o'brien",
      'a"b',
      'a\u0000b',
      'a\nb',
      'b\n',
      'nöde',
      'a b',
      '-lead',
      '',
      'x'.repeat(60),
      "a'; DROP TABLE aos_nodes; --",
    ]) {
      await expect(Cluster.join({ url, node: name }), JSON.stringify(name)).rejects.toThrow(
        /AOS_NODE must be 1-59 letters/,
      );
    }
    const ok = await node(url, 'x'.repeat(59));
    expect(ok.member.epoch).toBeGreaterThan(0);
  });

  // Was a break: sessionName() cut `aos:${node}` to 63 bytes, so a fence of one long-named node (cutOffStale) ended the sessions of another sharing its first 59 characters. Names are 59 at most now.
  it('a fence that cuts off a stuck node never ends the transaction of a live node with a similar long name', async () => {
    const url = await pgServer.server.createDatabase();
    const prefix = 'n'.repeat(55);
    const z = await node(url, 'z');
    const stuck = await node(url, `${prefix}dead`);
    const live = await node(url, `${prefix}live`);
    stopBeating(stuck);
    const db = await sql(url);
    await db.query('UPDATE aos_nodes SET heartbeat_ms = heartbeat_ms - $2 WHERE name = $1', [
      `${prefix}dead`,
      param.clusterLeaseMs + 1_000,
    ]);
    // The stuck node stops inside a commit, holding its row: the fence must cut it off.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = stuck.member.fenced(async (tx) => {
      await tx.query('SELECT 1');
      await gate;
    });
    held.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    // Meanwhile the live node commits something that takes a moment (a slow statement, not idle).
    const slow = live.member
      .fenced(async (tx) => {
        await tx.query('SELECT pg_sleep($1)', [(param.clusterFenceLockMs + 800) / 1000]);
        await insert('live-commit')(tx);
      })
      .then(
        () => 'committed',
        (e: Error) => `failed: ${e.message}`,
      );
    // A beat of z already under way (its timer) may predate the stale row: the next one fences.
    await z.member.beat();
    await z.member.beat();
    release();
    expect(
      (await db.query<{ state: string }>('SELECT state FROM aos_nodes WHERE name = $1', [`${prefix}dead`])).rows[0]
        ?.state,
    ).toBe('dead');
    expect(await slow).toBe('committed');
    expect(await count(db, 'live-commit')).toBe(1);
  });
});
