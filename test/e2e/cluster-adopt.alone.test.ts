/**
 * A dead node's process trees go on elsewhere (issue 36, item 2): two real daemons on one
 * throwaway PostgreSQL, sharing one workspace (AOS_SHARE_WORKSPACE=1). Node b runs trees whose
 * workers append a line per turn; b is SIGKILLed mid-way. Node a fences it a lease later, takes its
 * trees (moved out of b's schema in one transaction each) and runs them to the end: every process
 * ends well, every line is written at most once — and exactly once when its call said ok, the ones
 * cut off by the kill reported EINTR — and no event of a process is duplicated. Started again, b
 * has none of them. A third node that does not share the workspace adopts nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { psDirect, waitForRows } from '../helpers/kernel-probe.js';
import { until } from '../helpers/until.js';
import { PG_SKIP, postgresPerFile } from '../kernel/cluster/pg-fixture.js';

const pgServer = postgresPerFile();
const homes: TestHome[] = [];
const dirs: string[] = [];
const START = { timeoutMs: 60_000 };
afterAll(async () => {
  await Promise.all(homes.map((h) => h.dispose()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const TREES = 4;
const TURNS = 40;
const call = (name: string, args: Record<string, unknown> = {}): string =>
  `[SYS_CALL::${name}] ${JSON.stringify(args)}`;

function tape(): Record<string, string[]> {
  const agents: Record<string, string[]> = {};
  for (let k = 0; k < TREES; k++) {
    agents[`r${k}`] = [
      call('SPAWN_AGENT', { role: 'worker', name: `k${k}` }),
      call('WAIT', { timeout_s: 120 }),
      call('SYS_EXIT', { code: 0 }),
    ];
    const turns: string[] = [];
    for (let i = 0; i < TURNS; i++)
      turns.push(
        `${call('FS_WRITE', { path: `k${k}.log`, content: `k${k}:${i}\n`, append: true })}\n${call('SLEEP', { seconds: 0.25 })}`,
      );
    turns.push(call('SYS_EXIT', { code: 0 }));
    agents[`k${k}`] = turns;
  }
  return agents;
}

async function node(name: string, url: string, workspace: string, shared: boolean): Promise<TestHome> {
  const h = await makeHome();
  homes.push(h);
  Object.assign(h.env, {
    AOS_DATABASE_URL: url,
    AOS_NODE: name,
    AOS_WORKSPACE: workspace,
    AOS_SHARE_WORKSPACE: shared ? '1' : '',
  });
  const r = await h.cli(['kernel', 'start'], START);
  expect(r.code, r.stderr).toBe(0);
  return h;
}

function events(stdout: string): KernelEvent[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as KernelEvent);
}

describe.skipIf(PG_SKIP)("a dead node's trees", () => {
  it('are adopted by a node sharing its workspace: every process ends, no line twice, no event twice', async () => {
    const url = await pgServer.server.createDatabase();
    const shared = await mkdtemp(path.join(os.tmpdir(), 'aos-shared-ws-'));
    const other = await mkdtemp(path.join(os.tmpdir(), 'aos-other-ws-'));
    dirs.push(shared, other);
    // b alone first, so that its trees start there (with a sharing the workspace, new trees are spread).
    const b = await node('b', url, shared, true);
    const model = await b.tape(tape());
    const roots: number[] = [];
    for (let k = 0; k < TREES; k++) {
      const r = await b.cli(['spawn', '--detach', '--json', '--model', model, '--name', `r${k}`, 'work']);
      expect(r.code, r.stderr).toBe(0);
      roots.push((JSON.parse(r.stdout) as { pid: number }).pid);
    }
    const a = await node('a', url, shared, true);
    // c shares nothing: it must never take b's trees.
    const c = await node('c', url, other, false);
    // Mid-way: some lines written, every worker still running.
    await until(async () => {
      const texts = await Promise.all(
        Array.from({ length: TREES }, (_, k) => readFile(path.join(shared, `k${k}.log`), 'utf8').catch(() => '')),
      );
      return texts.every((t) => t.split('\n').length > 3);
    }, 30_000);
    const before = new Map((await psDirect(b.home, true)).filter((r) => r.node === 'b').map((r) => [r.pid, r]));
    const pids = [...before.keys()];
    expect(pids.length).toBe(2 * TREES);
    // Followed from a node that does not adopt (c) and from the one that will (a): each follow goes on
    // where the tree moves, and shows its whole history once, in order.
    const workerPid = (k: number): number => [...before.values()].find((r) => r.name === `k${k}`)?.pid ?? 0;
    const follows = [
      { k: 0, run: c.cli(['logs', '-f', String(workerPid(0)), '--json'], { timeoutMs: 150_000 }) },
      { k: 1, run: a.cli(['logs', '-f', String(workerPid(1)), '--json', '--tail', '3'], { timeoutMs: 150_000 }) },
    ];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const bPid = (await b.daemonPid()) ?? 0;
    process.kill(bPid, 'SIGKILL');

    const rows = await waitForRows(a.home, (m) => pids.every((pid) => m.get(pid)?.state === 'exited'), {
      timeoutMs: 60_000,
      what: "b's processes to end on a",
    });
    expect(pids.map((pid) => rows.get(pid)?.exit_code)).toEqual(pids.map(() => 0));
    expect(await readFile(path.join(a.home, 'kernel.log'), 'utf8')).toMatch(/adopted tree \d+ from dead node b/);

    for (let k = 0; k < TREES; k++) {
      const worker = [...rows.values()].find((r) => r.name === `k${k}`);
      expect(worker, `worker k${k}`).toBeDefined();
      const log = await a.cli(['logs', String(worker?.pid), '--json']);
      const history = events(log.stdout);
      // The history came with the tree: its first turns (on b) and its last (on a), each once.
      const keys = history
        .filter((e) => e.type === 'syscall' || e.type === 'result')
        .map((e) => `${e.type}:${(e as { turn: number }).turn}:${(e as { seq: number }).seq}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(
        history.some((e) => e.type === 'state' && /adopted from node b/.test((e as { reason?: string }).reason ?? '')),
      ).toBe(true);
      const text = await readFile(path.join(shared, `k${k}.log`), 'utf8');
      for (const result of history) {
        if (result.type !== 'result' || result.name !== 'FS_WRITE') continue;
        const times = text.split('\n').filter((line) => line === `k${k}:${result.turn}`).length;
        if (result.ok) expect(times, `k${k} turn ${result.turn}`).toBe(1);
        else expect(result.errno).toBe('EINTR');
        expect(times).toBeLessThanOrEqual(1);
      }
    }
    for (const follow of follows) {
      const run = await follow.run;
      expect(run.code, run.stderr).toBe(0);
      const followed = events(run.stdout).filter((e) => e.type !== undefined);
      const whole = events((await a.cli(['logs', String(workerPid(follow.k)), '--json'])).stdout);
      // No tail: the whole history. A tail: its last events at the start, then all that came after.
      if (follow.k === 0) expect(followed.length).toBe(whole.length);
      else expect(followed.length).toBeGreaterThan(3);
      expect(followed.map((e) => JSON.stringify(e))).toEqual(
        whole.slice(whole.length - followed.length).map((e) => JSON.stringify(e)),
      );
      expect(followed.at(-1)).toMatchObject({ type: 'state', to: 'exited' });
    }

    // c adopted nothing; a says what it adopted; b is dead with nothing left to it.
    const status = JSON.parse((await c.cli(['kernel', 'status', '--json'])).stdout) as {
      cluster: { nodes: Array<{ name: string; state: string; adopted: number; processes: number }> };
    };
    const byName = new Map(status.cluster.nodes.map((n) => [n.name, n]));
    expect(byName.get('c')?.adopted).toBe(0);
    expect(byName.get('a')?.adopted).toBe(
      2 * TREES - 0 - [...before.values()].filter((r) => r.state === 'exited').length,
    );
    expect(byName.get('b')).toMatchObject({ state: 'dead', processes: 0 });
    // c's own processes: none (its ps lists every node's, each naming its node).
    expect((await psDirect(c.home, true)).filter((r) => r.node === 'c')).toEqual([]);

    // b, started again, finds its trees gone: nothing of them runs twice.
    expect((await b.cli(['kernel', 'start'], START)).code).toBe(0);
    expect((await psDirect(b.home, true)).filter((r) => pids.includes(r.pid) && r.node === 'b')).toEqual([]);
    // Listed from b, they are a's now.
    expect((await psDirect(b.home, true)).filter((r) => pids.includes(r.pid)).map((r) => r.node)).toEqual(
      pids.map(() => 'a'),
    );
  }, 180_000);

  it('new trees go to the least loaded node sharing the workspace', async () => {
    const url = await pgServer.server.createDatabase();
    const shared = await mkdtemp(path.join(os.tmpdir(), 'aos-shared-ws-'));
    dirs.push(shared);
    const a = await node('a', url, shared, true);
    await node('b', url, shared, true);
    // Both nodes have beaten once with each other in their lists.
    await until(async () => {
      const s = JSON.parse((await a.cli(['kernel', 'status', '--json'])).stdout) as {
        cluster: { nodes: Array<{ state: string }> };
      };
      return s.cluster.nodes.filter((n) => n.state === 'live').length === 2;
    }, 15_000);
    const model = await a.tape({ idle: [call('SLEEP', { seconds: 60 })] });
    const placedOn: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await a.cli(['spawn', '--detach', '--json', '--model', model, '--name', 'idle', 'wait']);
      expect(r.code, r.stderr).toBe(0);
      placedOn.push((JSON.parse(r.stdout) as { node?: string }).node ?? 'a');
    }
    // Spread, not all on the node asked: each took about half.
    expect(placedOn.filter((n) => n === 'b').length).toBeGreaterThanOrEqual(2);
    expect(placedOn.filter((n) => n === 'a').length).toBeGreaterThanOrEqual(2);
    const rows = await psDirect(a.home);
    expect(new Set(rows.filter((r) => r.name === 'idle').map((r) => r.node))).toEqual(new Set(['a', 'b']));
  }, 120_000);
});
