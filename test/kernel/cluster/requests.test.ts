/**
 * Requests between nodes (kernel/cluster/requests.ts) on a real PostgreSQL, as a review of the
 * cluster's one view found them wanting (each fixed, each pinned here):
 * - a request that takes long (a `wait`) holds up no other the node was asked;
 * - a request older than its asker's wait is never carried out (the asker gave up on it);
 * - a request nobody took is withdrawn at the deadline (ETIMEDOUT: surely not carried out), one that
 *   was taken is never withdrawn nor started again: EINPROGRESS says it may have been carried out;
 * - an error comes back with the other node's errno and words.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, RemoteError } from '../../../kernel/cluster/cluster.js';
import { AosError } from '../../../sys/errno.js';
import { joinNode, PG_SKIP, postgresPerFile } from './pg-fixture.js';

const pgServer = postgresPerFile();
const open: Cluster[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});

const node = (url: string, name: string): Promise<Cluster> => joinNode(url, name, open);

/** A promise and its resolve, for a handler the test lets finish. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe.skipIf(PG_SKIP)('requests between nodes', () => {
  it('a long request holds up no other; an error comes back as the other node gave it', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    const slow = gate();
    const served: string[] = [];
    b.requests.serve(async (method, params) => {
      served.push(method);
      if (method === 'wait') await slow.promise;
      if (method === 'kill') throw new AosError('ESRCH', `no process ${(params as { pid: number }).pid}`);
      return { method };
    });
    const waiting = a.requests.ask('b', 'wait', { pid: 1 });
    let waited = false;
    void waiting.then(() => (waited = true));
    // Asked after the wait, answered while the wait still holds.
    expect(await a.requests.ask('b', 'send', { pid: 1 })).toEqual({ method: 'send' });
    expect(waited).toBe(false);
    const error = await a.requests.ask('b', 'kill', { pid: 7 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'ESRCH', message: 'no process 7' });
    slow.open();
    expect(await waiting).toEqual({ method: 'wait' });
    expect(served.sort()).toEqual(['kill', 'send', 'wait']);
  });

  it('a request older than its asker waits is never carried out', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    const b = await node(url, 'b');
    // Written as an asker that has since given up would have left it: created long ago, never taken.
    await a.member.fenced(async (tx) => {
      await tx.query(
        "INSERT INTO aos_requests (node, from_node, method, params, created_ms) VALUES ('b', 'a', 'kill', '{\"pid\":1}', 1)",
      );
    });
    const served: string[] = [];
    b.requests.serve(async (method) => {
      served.push(method);
      return null;
    });
    // A fresh one goes through; the stale one was passed over.
    expect(await a.requests.ask('b', 'send', { pid: 1 })).toBeNull();
    expect(served).toEqual(['send']);
  });

  it('one nobody took is withdrawn (ETIMEDOUT); one that was taken is not withdrawn nor started again (EINPROGRESS)', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await node(url, 'a');
    await node(url, 'b');
    // b serves nothing: nobody takes it.
    const untaken = await a.requests.ask('b', 'kill', { pid: 1 }, 600).catch((e: unknown) => e);
    expect(untaken).toMatchObject({ code: 'ETIMEDOUT' });
    const left = await a.member.fenced(
      async (tx) => (await tx.query('SELECT count(*)::int AS n FROM aos_requests')).rows[0].n as number,
    );
    expect(left).toBe(0);

    const c = await node(url, 'c');
    const stuck = gate();
    let started = 0;
    c.requests.serve(async () => {
      started++;
      await stuck.promise;
      return null;
    });
    // Given time to be taken (a poll is 250 ms), then as long again for its answer.
    const taken = await a.requests.ask('c', 'stop', { pid: 2 }, 3_000).catch((e: unknown) => e);
    expect(taken).toMatchObject({ code: 'EINPROGRESS' });
    expect(started).toBe(1);
    stuck.open();
  }, 30_000);
});
