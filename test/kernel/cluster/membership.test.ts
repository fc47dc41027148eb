/**
 * Nodes on one PostgreSQL (issue 36): a join takes a new epoch, a name live elsewhere is refused,
 * a node a lease behind is declared dead by the next heartbeat of another, and a fenced node
 * commits nothing more under its old epoch — not even a commit it had started when the fence came.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, FencedError } from '../../../kernel/cluster/cluster.js';
import { param } from '../../../sys/param.js';
import { joinNode, PG_SKIP, postgresPerFile, stopBeating } from './pg-fixture.js';
import { startPostgres } from '../../helpers/postgres.js';

const pgServer = postgresPerFile();
const open: Cluster[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});

interface Logged {
  level: string;
  message: string;
}

const node = (url: string, name: string, logs: Logged[] = []): Promise<Cluster> =>
  joinNode(url, name, open, (level, message) => void logs.push({ level, message }));

/** Make a node's heartbeat look a lease and a second old (as if it stopped). */
async function age(c: Cluster, name: string): Promise<void> {
  await c.member.fenced(async (tx) => {
    await tx.query('UPDATE aos_nodes SET heartbeat_ms = heartbeat_ms - $2 WHERE name = $1', [
      name,
      param.clusterLeaseMs + 1_000,
    ]);
  });
}

describe.skipIf(PG_SKIP)('cluster membership', () => {
  it('joins under increasing epochs, lists the nodes, and refuses a second live node of one name', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    expect(b.member.epoch).toBeGreaterThan(a.member.epoch);
    await a.member.beat();
    expect(a.status().nodes.map((n) => [n.name, n.state])).toEqual([
      ['a', 'live'],
      ['b', 'live'],
    ]);
    expect(a.status()).toMatchObject({ node: 'a', store: 'postgres', schema: 'aos/a', error: null });
    expect(a.status().database).not.toContain('password');
    // Same name, this host, but its kernel is alive (this very process): refused, naming the way out.
    await expect(Cluster.join({ url, node: 'a' })).rejects.toThrow(/node "a" is live .*--node NAME/);
  });

  it('a node a lease behind is fenced by the next heartbeat of another, and commits nothing after', async () => {
    const url = await pgServer.server.createDatabase();
    const logsB: Logged[] = [];
    const a = await node(url, 'a');
    const b = await node(url, 'b', logsB);
    const oldEpoch = b.member.epoch;
    stopBeating(b);
    await b.member.beat();
    await age(a, 'b');
    await a.member.beat();
    const rowB = a.status().nodes.find((n) => n.name === 'b');
    expect(rowB).toMatchObject({ state: 'dead', fenced_by: 'a', epoch: oldEpoch });
    // B's next commit under the old epoch is refused.
    await expect(
      b.member.fenced(async (tx) => tx.query("INSERT INTO aos_meta (key, value) VALUES ('by-b', 'x')")),
    ).rejects.toBeInstanceOf(FencedError);
    const meta = await a.member.fenced(
      async (tx) => (await tx.query("SELECT count(*)::int AS n FROM aos_meta WHERE key = 'by-b'")).rows[0].n as number,
    );
    expect(meta).toBe(0);
    // Its heartbeat finds out, and it joins again under a new epoch, saying so.
    await b.member.beat();
    expect(b.member.epoch).toBeGreaterThan(oldEpoch);
    expect(logsB.map((l) => l.message).join('\n')).toMatch(/declared dead .*epoch \d+ fenced.*joined again as epoch/);
  });

  it('a fence waits for a commit in flight, then cuts off a node stuck inside one: that commit never lands', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    // B stops (as a SIGSTOPped node would): no more heartbeats, and a fenced commit left open, holding its row.
    stopBeating(b);
    await b.member.beat();
    await age(a, 'b');
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const inFlight = b.member.fenced(async (tx) => {
      await tx.query("INSERT INTO aos_meta (key, value) VALUES ('stuck-b', 'x')");
      await stuck;
      await tx.query('SELECT 1');
    });
    inFlight.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    try {
      const started = Date.now();
      await a.member.beat();
      expect(Date.now() - started).toBeGreaterThanOrEqual(param.clusterFenceLockMs - 50);
      expect(a.status().nodes.find((n) => n.name === 'b')?.state).toBe('dead');
    } finally {
      release();
    }
    await expect(inFlight).rejects.toThrow();
    const n = await a.member.fenced(
      async (tx) =>
        (await tx.query("SELECT count(*)::int AS n FROM aos_meta WHERE key = 'stuck-b'")).rows[0].n as number,
    );
    expect(n).toBe(0);
  });

  it("a node joining a database made at this version takes no lock that holds up the others' commits", async () => {
    const url = await pgServer.server.createDatabase();
    await node(url, 'a');
    // A commit of a's in flight: its fence check holds a's row (the nodes' table in row-share mode).
    const pg = await import('pg');
    const db = new pg.default.Client({ connectionString: url });
    await db.connect();
    try {
      await db.query('BEGIN');
      await db.query("SELECT 1 FROM aos_nodes WHERE name = 'a' FOR KEY SHARE");
      // b joins meanwhile: the schema is there at this version, so no ALTER waits for that commit (and holds up every other behind it).
      const joined = await Promise.race([
        node(url, 'b').then(() => 'joined'),
        new Promise((r) => setTimeout(() => r('held up'), 15_000)),
      ]);
      expect(joined).toBe('joined');
      await db.query('COMMIT');
    } finally {
      await db.end();
    }
  });

  it('a node that left is not fenced, and its name can join again at once', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    await b.close();
    open.splice(open.indexOf(b), 1);
    await a.member.beat();
    expect(a.status().nodes.find((n) => n.name === 'b')?.state).toBe('left');
    const again = await node(url, 'b');
    expect(again.member.epoch).toBeGreaterThan(b.member.epoch);
  });

  it('a bad URL or name fails with a clear error and the password never shows', async () => {
    await expect(Cluster.join({ url: 'mysql://u:hunter2@h/db', node: 'a' })).rejects.toThrow(
      /must be a postgres:\/\/ URL/,
    );
    await expect(Cluster.join({ url: 'mysql://u:hunter2@h/db', node: 'a' })).rejects.not.toThrow(/hunter2/);
    await expect(Cluster.join({ url: 'postgres://x@/y', node: 'a b' })).rejects.toThrow(/AOS_NODE must be/);
    const dead = `postgres://aos:hunter2@/nodb?host=${encodeURIComponent(pgServer.server.socketDir)}`;
    const error = await Cluster.join({ url: dead, node: 'a' }).catch((e: Error) => e);
    expect(String(error)).toMatch(/could not join .*nodb/);
    expect(String(error)).not.toContain('hunter2');
  });
});

describe.skipIf(PG_SKIP)('nodes gone for good', () => {
  it('are forgotten a day after they died or left, with the demand they reported; live ones never', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    await a.member.fenced(async (tx) => {
      await tx.query(
        `INSERT INTO aos_nodes (name, epoch, state, host, os_pid, joined_ms, heartbeat_ms) VALUES
           ('old-dead', 90, 'dead', 'h', 1, 0, 0), ('old-left', 91, 'left', 'h', 2, 0, 0), ('new-left', 92, 'left', 'h', 3, 0, (extract(epoch from clock_timestamp()) * 1000)::bigint)`,
      );
      await tx.query(
        "INSERT INTO aos_budget_demand (lane, kind, node, demand, at_ms) VALUES ('openai', 'rpm', 'old-dead', 5, 0)",
      );
    });
    await a.member.beat();
    expect(a.status().nodes.map((n) => n.name)).toEqual(['a', 'new-left']);
    const demand = await a.member.fenced(
      async (tx) =>
        (await tx.query("SELECT count(*)::int AS n FROM aos_budget_demand WHERE node = 'old-dead'")).rows[0]
          .n as number,
    );
    expect(demand).toBe(0);
  });
});

describe.skipIf(PG_SKIP)('a database outage longer than the lease', () => {
  it('fences nobody when it ends: the first node back waits a lease of heartbeats before it fences', async () => {
    const own = await startPostgres();
    try {
      const url = await own.createDatabase();
      const nodes = await Promise.all(['a', 'b', 'c'].map((n) => Cluster.join({ url, node: n })));
      const fenced: string[] = [];
      for (const c of nodes) {
        c.attach({
          load: () => ({ processes: 0, in_flight: 0, queued: 0 }),
          demand: () => 0,
          capacity: () => undefined,
          overloaded: () => undefined,
          log: (_l, m) => fenced.push(m),
        });
        open.push(c);
      }
      const [a, b, c] = nodes as [Cluster, Cluster, Cluster];
      const epochs = nodes.map((n) => n.member.epoch);
      // Beaten by hand, so that a is back first (nodes on machines of their own beat out of phase).
      for (const n of nodes) stopBeating(n);
      const outage = own.restart(param.clusterLeaseMs + 1_500);
      await new Promise((r) => setTimeout(r, 500));
      // Every node's heartbeat fails during the outage (their timers would run it).
      await Promise.all(nodes.map((n) => n.member.beat()));
      for (const n of nodes) expect(n.status().error).not.toBeNull();
      await outage;
      await a.member.beat();
      expect(a.status().error).toBeNull();
      // a's heartbeat is the only fresh one; b and c were cut off by the same outage, not dead.
      expect(a.status().nodes.map((n) => n.state)).toEqual(['live', 'live', 'live']);
      await Promise.all([b.member.beat(), c.member.beat()]);
      await a.member.beat();
      expect(a.status().nodes.map((n) => n.state)).toEqual(['live', 'live', 'live']);
      expect(nodes.map((n) => n.member.epoch)).toEqual(epochs);
      expect(fenced.filter((m) => /declared dead/.test(m))).toEqual([]);
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await own.stop();
    }
  }, 60_000);
});

describe.skipIf(PG_SKIP)('a database that hangs (stopped, not gone)', () => {
  it('is seen: the heartbeat fails within the statement timeout, and leaving takes no longer than it', async () => {
    const own = await startPostgres();
    const all = (): number[] => [
      own.pid,
      ...execFileSync('pgrep', ['-P', String(own.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map(Number)
        .filter(Boolean),
    ];
    let frozen: number[] = [];
    try {
      const url = await own.createDatabase();
      const c = await Cluster.join({ url, node: 'a' });
      c.attach({
        load: () => ({ processes: 0, in_flight: 0, queued: 0 }),
        demand: () => 0,
        capacity: () => undefined,
        overloaded: () => undefined,
        log: () => undefined,
      });
      frozen = all();
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
      const started = Date.now();
      await c.member.beat();
      expect(c.status().error).not.toBeNull();
      expect(Date.now() - started).toBeLessThan(param.clusterStatementTimeoutMs + 3_000);
      const leaving = Date.now();
      await c.close();
      expect(Date.now() - leaving).toBeLessThan(param.clusterStatementTimeoutMs + 1_000);
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
      await own.stop();
    }
  }, 60_000);
});
