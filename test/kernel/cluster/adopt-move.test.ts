/**
 * Adopting a tree does not stop the adopter (issue 36). The move of a dead node's tree runs on a
 * connection of its own, awaited: while it waits (here on a lock a test session holds on the dead
 * node's webhooks, standing in for a tree too large to move at once), the adopter's kernel runs
 * other processes to their end. It used to run on the store's synchronous connection: the
 * adopter's thread stood still for the whole move (1.8 s for 100,000 events: npm run bench --
 * cluster-move), and a move longer than the store's statement timeout never landed.
 *
 * The moved events keep their order, after every event the adopter had, before every one it
 * writes afterwards; and a search made while the tree moved does not leave them out of the index.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../../../kernel/kernel.js';
import { until } from '../../helpers/until.js';
import { PG_SKIP, postgresPerFile } from './pg-fixture.js';
import { clusterScratch, declareDead, kernelNode, runClosers, withNodeLog } from './kernel-node.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(() => runClosers(closers));

const HOLD = '[SYS_CALL::RECV_MSG] {"timeout_s": 600}';
const EXIT = '[SYS_CALL::SYS_EXIT] {"code": 0}';
const MOVED = 400;

const node = (name: string, url: string, dir: string): Promise<Kernel> => kernelNode(name, url, dir, closers);

describe.skipIf(PG_SKIP)('a tree adopted from a dead node', () => {
  it('moves while the adopter runs other work; its events keep their order and are found by search', async () => {
    const { url, dir, tape: writeTape } = await clusterScratch(pgServer.server, closers, 'adopt-move');
    const tape = await writeTape({ hold: [HOLD], quick: [EXIT] });
    const model = `replay:${tape}`;
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    closers.push(() => sql.end());

    const a = await node('a', url, dir);
    const held = await a.spawn({ task: 'hold', model, name: 'hold' });
    await a.store.committed();
    // The tree's history, as a's store wrote it: events that name a word no other event has.
    await sql.query(
      `INSERT INTO "aos/a".events (id, pid, json)
       SELECT 100000 + g, $1::bigint, json_build_object('type', 'output', 'pid', $1::int, 'ts', $2::text, 'text', 'kiwifruit ' || g)::text FROM generate_series(1, $3) AS g`,
      [held.pid, new Date().toISOString(), MOVED],
    );
    // a dies, its processes left as they were (a.shutdown() would end them).
    a.cluster?.member.stop();
    await a.close();

    const b = await node('b', url, dir);
    const before = await b.spawn({ task: 'quick', model, name: 'quick' });
    await b.waitExit(before.pid);
    await b.store.committed();
    const lastBefore = await b.store.events.lastId();

    // The move will wait on this lock as long as the test holds it: after it has given the tree's
    // events their ids here (events move first, webhooks next), before it commits.
    await sql.query('BEGIN');
    await sql.query('LOCK TABLE "aos/a".webhooks IN ACCESS EXCLUSIVE MODE');
    // Another session declares a dead, and watches the move (pg_stat_activity is a snapshot per transaction: not the locking one's).
    const watch = new pg.Client({ connectionString: url });
    await watch.connect();
    closers.push(() => watch.end());
    await declareDead(watch, 'a');
    const waiting = async (): Promise<boolean> =>
      (
        await watch.query(
          "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%\"aos/a\".webhooks%'",
        )
      ).rows.length > 0;
    await withNodeLog(
      until(
        waiting,
        60_000,
        "the move to be waiting for the lock on a's webhooks (a move that failed is tried again 30 s later)",
      ),
    );

    // Meanwhile the adopter runs a process from spawn to exit, and a search indexes what it has.
    const during = await b.spawn({ task: 'quick', model, name: 'quick' });
    await b.waitExit(during.pid);
    await b.store.committed();
    await b.store.events.indexAll(1_000);
    expect(await b.store.events.search('kiwifruit', { pid: null, before: null, limit: 5 })).toEqual([]);
    expect(b.isLive(held.pid)).toBe(false);
    expect(await waiting()).toBe(true);

    await sql.query('COMMIT');
    await withNodeLog(until(() => b.isLive(held.pid), 60_000, "a's tree to be adopted by b"));

    const rows = (
      await sql.query<{ id: string; pid: string; json: string }>('SELECT id, pid, json FROM "aos/b".events ORDER BY id')
    ).rows;
    const moved = rows.filter((r) => r.json.includes('kiwifruit'));
    expect(moved).toHaveLength(MOVED);
    // In their old order, after everything b had before the move began.
    expect(moved.map((r) => JSON.parse(r.json).text)).toEqual(
      Array.from({ length: MOVED }, (_, i) => `kiwifruit ${i + 1}`),
    );
    expect(Number(moved[0]?.id)).toBeGreaterThan(lastBefore);
    // Ids are unique, and the events b wrote after the move began come after the moved ones.
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    const duringIds = rows.filter((r) => Number(r.pid) === during.pid).map((r) => Number(r.id));
    expect(Math.min(...duringIds)).toBeGreaterThan(Number(moved[moved.length - 1]?.id));
    // The search made during the move did not leave the moved events out of the index.
    await b.store.events.indexAll(1_000);
    expect(await b.store.events.search('kiwifruit', { pid: held.pid, before: null, limit: 1000 })).toHaveLength(MOVED);
    // Nothing of the tree is left in a's store.
    expect((await sql.query('SELECT 1 FROM "aos/a".events WHERE pid = $1', [held.pid])).rows).toHaveLength(0);
  }, 150_000);
});
