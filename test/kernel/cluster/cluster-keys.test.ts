/**
 * Idempotency keys in a cluster (issue 36 with issue 33's keys): two kernels on one PostgreSQL,
 * each behind its own socket with the daemon's handlers. A keyed spawn asked of the node that does
 * not hold the key is answered by the one that does (the first process again; other arguments
 * EEXIST); a dead node's keys move with its adopted trees, so a retry asked of the adopter finds
 * them; a key a dead node holds for a tree nobody adopted (it ended) is answered from its store.
 * And a dead node started again starts no second run of a unit whose run another node adopted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../../kernel/kernel.js';
import { KernelServer } from '../../../daemon/server.js';
import { ownHandlers } from '../../../daemon/methods/methods.js';
import { serveOtherNodes } from '../../../daemon/methods/cluster-methods.js';
import { KernelClient } from '../../../client/client.js';
import { param } from '../../../sys/param.js';
import { ALL_CAPS } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';
import { PG_SKIP, postgresPerFile, stopBeating } from './pg-fixture.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

const HOLD = '[SYS_CALL::RECV_MSG] {"timeout_s": 600}';
const EXIT = '[SYS_CALL::SYS_EXIT] {"code": 0}';

interface Node {
  name: string;
  kernel: Kernel;
  client: KernelClient;
  spawn(params: Record<string, unknown>): Promise<Record<string, unknown>>;
}

async function setup(): Promise<{ url: string; dir: string; model: string }> {
  const url = await pgServer.server.createDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-cluster-keys-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(tape, YAML.stringify({ agents: { hold: [HOLD], done: [EXIT], job: [HOLD] } }));
  return { url, dir, model: `replay:${tape}` };
}

let started = 0;

/** A kernel as a daemon has it: a node of the cluster, its socket, other nodes' requests served. */
async function node(name: string, url: string, dir: string): Promise<Node> {
  const home = path.join(dir, name);
  const workspace = path.join(dir, 'ws');
  const kernel = await Kernel.create({
    workspace,
    rootCapabilities: ALL_CAPS,
    cwd: dir,
    cluster: { url, node: name, workspace: { path: workspace, shared: true } },
  });
  serveOtherNodes(kernel, ownHandlers);
  const socket = path.join(dir, `${name}-${++started}.sock`);
  const server = await KernelServer.listen(kernel, { socket, home, workspace, onShutdown: () => undefined });
  const client = await KernelClient.connect({ socket, kernelLog: path.join(dir, `${name}.log`) });
  closers.push(async () => {
    client.close();
    await server.close();
    await kernel.shutdown();
  });
  return {
    name,
    kernel,
    client,
    spawn: async (params) => (await client.request('spawn', params as never)) as unknown as Record<string, unknown>,
  };
}

/** Make `dead` look a lease and a second silent to `by`, which then declares it dead at its next beat. */
async function declareDead(by: Node, dead: Node): Promise<void> {
  const cluster = dead.kernel.cluster;
  if (!cluster) throw new Error('not a node');
  stopBeating(cluster);
  await by.kernel.cluster?.member.fenced(async (tx) => {
    await tx.query('UPDATE aos_nodes SET heartbeat_ms = heartbeat_ms - $2 WHERE name = $1', [
      dead.name,
      param.clusterLeaseMs + 1_000,
    ]);
  });
  await by.kernel.cluster?.member.beat();
}

describe.skipIf(PG_SKIP)('idempotency keys across nodes', () => {
  it('a keyed spawn asked of another node is answered by the node that holds the key', async () => {
    const { url, dir, model } = await setup();
    const a = await node('a', url, dir);
    const b = await node('b', url, dir);
    const first = await a.spawn({ task: 'index', model, name: 'hold', idempotency_key: 'k-1', watch: false });
    const again = await b.spawn({ task: 'index', model, name: 'hold', idempotency_key: 'k-1', watch: false });
    expect(again).toMatchObject({ pid: first.pid, replayed: true, node: 'a' });
    // Nothing started on b.
    expect(b.kernel.list()).toEqual([]);
    const other = await b
      .spawn({ task: 'index the outbox', model, name: 'hold', idempotency_key: 'k-1', watch: false })
      .catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 'EEXIST' });
    expect((other as Error).message).toMatch(/task differs \("index" then, "index the outbox" now\)/);
    // A new key on b starts there (or wherever b places it), once.
    const fresh = await b.spawn({ task: 'index', model, name: 'hold', idempotency_key: 'k-2', watch: false });
    expect(fresh.pid).not.toBe(first.pid);
  });

  it('one new key asked of two nodes at the same instant starts its work once, on one of them', async () => {
    const { url, dir, model } = await setup();
    const a = await node('a', url, dir);
    const b = await node('b', url, dir);
    const keys = Array.from({ length: 8 }, (_, i) => `same-${i}`);
    const pairs = await Promise.all(
      keys.map((key) =>
        Promise.all(
          [a, b].map((n) => n.spawn({ task: 'index', model, name: 'hold', idempotency_key: key, watch: false })),
        ),
      ),
    );
    for (const [onA, onB] of pairs) {
      expect(onB?.pid, JSON.stringify([onA, onB])).toBe(onA?.pid);
      // One of the two started it; the other was answered with it.
      expect([onA?.replayed, onB?.replayed].filter(Boolean)).toHaveLength(1);
    }
    const started = [...a.kernel.list(), ...b.kernel.list()].filter((p) => p.name === 'hold');
    expect(started).toHaveLength(keys.length);
    // Every claim was given back once its key was committed.
    const claims = await a.kernel.cluster?.keys.claimant('root', 'same-0');
    expect(claims).toBeNull();
  }, 60_000);

  it('a claim on a key left by a node that died, or lost long ago, does not hold the key up', async () => {
    const { url, dir, model } = await setup();
    const a = await node('a', url, dir);
    const b = await node('b', url, dir);
    const db = b.kernel.cluster?.member;
    if (!db) throw new Error('not a node');
    // a claims two keys and never starts them: as if it died between its claim and its spawn's commit.
    expect(await a.kernel.cluster?.keys.claim('root', 'orphan')).toBe(true);
    expect(await a.kernel.cluster?.keys.claim('root', 'lost')).toBe(true);
    // A claim older than clusterKeyClaimMs is void even while its node lives.
    await db.fenced(async (tx) => {
      await tx.query("UPDATE aos_key_claims SET claimed_ms = claimed_ms - $1 WHERE key = 'lost'", [
        param.clusterKeyClaimMs + 1_000,
      ]);
    });
    const lost = await b.spawn({ task: 'index', model, name: 'hold', idempotency_key: 'lost', watch: false });
    expect(lost.replayed).toBeFalsy();
    expect(b.kernel.isLive(lost.pid as number)).toBe(true);
    // While a lives, its fresh claim stands: b waits for it (and does not start the work).
    const waiting = b.spawn({ task: 'index', model, name: 'hold', idempotency_key: 'orphan', watch: false });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(b.kernel.list().filter((p) => p.name === 'hold')).toHaveLength(1);
    // a dies: its claim is void, and b starts the work itself.
    await declareDead(b, a);
    const orphan = await waiting;
    expect(orphan.replayed).toBeFalsy();
    expect(b.kernel.isLive(orphan.pid as number)).toBe(true);
    expect(await b.kernel.cluster?.keys.claimant('root', 'orphan')).toBeNull();
  }, 60_000);

  it("a dead node's keys come with its adopted trees; a key of a tree that ended there is answered from its store", async () => {
    const { url, dir, model } = await setup();
    const a = await node('a', url, dir);
    const live = await a.spawn({ task: 'index', model, name: 'hold', idempotency_key: 'live', watch: false });
    const ended = await a.spawn({ task: 'done', model, name: 'done', idempotency_key: 'ended', watch: false });
    await a.kernel.waitExit(ended.pid as number);
    a.kernel.store.flush();
    const b = await node('b', url, dir);
    await declareDead(b, a);
    await until(() => b.kernel.isLive(live.pid as number), 20_000, "a's live tree to be adopted by b");
    // The key came with the tree: b answers it itself, with the same process.
    expect(b.kernel.keys.seen('root', 'live')).toBe(live.pid);
    expect(await b.spawn({ task: 'index', model, name: 'hold', idempotency_key: 'live', watch: false })).toMatchObject({
      pid: live.pid,
      replayed: true,
    });
    expect(b.kernel.list().filter((p) => p.name === 'hold')).toHaveLength(1);
    // The ended tree stayed in a's store (nothing to resume): its key is answered from there.
    expect(await b.spawn({ task: 'done', model, name: 'done', idempotency_key: 'ended', watch: false })).toMatchObject({
      pid: ended.pid,
      replayed: true,
      node: 'a',
      state: 'exited',
    });
    const other = await b
      .spawn({ task: 'done again', model, name: 'done', idempotency_key: 'ended', watch: false })
      .catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 'EEXIST' });
  }, 60_000);

  it('a dead node started again starts no second run of its unit while the run another node adopted goes on', async () => {
    const { url, dir, model } = await setup();
    const a = await node('a', url, dir);
    a.kernel.units.add({ name: 'job', task: 'hold', model, on_overlap: 'skip' });
    const first = await a.kernel.units.run('job');
    expect(first).toMatchObject({ outcome: 'started' });
    a.kernel.store.flush();
    const b = await node('b', url, dir);
    await declareDead(b, a);
    await until(() => b.kernel.isLive(first.pid as number), 20_000, "a's unit run to be adopted by b");
    await a.kernel.shutdown().catch(() => undefined);
    // a again, under a new epoch: its unit is its own; its run is b's now and still going.
    const again = await node('a', url, dir);
    expect(await again.kernel.units.run('job')).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining(`pid ${first.pid}`),
    });
    expect(again.kernel.list()).toEqual([]);
    // Ended there: a's unit runs again.
    b.kernel.kill(first.pid as number);
    await until(
      async () => (await again.kernel.units.run('job')).outcome === 'started',
      30_000,
      "a's unit to run once b's run ended",
    );
  }, 90_000);
});
