/**
 * Three real daemons on one throwaway PostgreSQL sharing one provider budget (issue 36), with the
 * provider refusing past it: one node is SIGKILLed while it holds allowance, another SIGSTOPped
 * past the lease (fenced by the others) and continued. Every acknowledged spawn ends well — the
 * killed node's on its restart, from its own store — and the provider never answers a 429.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../fakes/fake-provider.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { param } from '../../sys/param.js';
import { PG_SKIP, postgresPerFile } from '../kernel/cluster/pg-fixture.js';

const pgServer = postgresPerFile();
const homes: TestHome[] = [];
/** A daemon's start beside a full suite on two cores can take longer than a verb's usual 15 s. */
const START = { timeoutMs: 60_000 };
let fake: FakeProvider | null = null;
afterAll(async () => {
  await Promise.all(homes.map((h) => h.dispose()));
  await fake?.close();
});

const PER_NODE = 8;
const TURNS = 12;
// 3,600 a minute: 60 a second, a burst of 60. The provider takes 125 in any second: the shared
// budget (60 + 60 refilled) fits; three nodes each spending a budget of their own would not.
const LIMITS = 'openai:rpm=3600,concurrency=8';

interface WaitRow {
  pid: number;
  state: string;
  exit_code: number | null;
}

async function spawnAll(h: TestHome): Promise<number[]> {
  const pids: number[] = [];
  for (let i = 0; i < PER_NODE; i++) {
    const r = await h.cli(['spawn', '--detach', '--json', '--model', 'openai:m', `task ${i}`]);
    expect(r.code, r.stderr).toBe(0);
    pids.push((JSON.parse(r.stdout) as { pid: number }).pid);
  }
  return pids;
}

async function waitAll(h: TestHome, pids: number[]): Promise<WaitRow[]> {
  const r = await h.cli(['wait', ...pids.map(String), '--json', '--timeout', '60s'], { timeoutMs: 70_000 });
  return JSON.parse(r.stdout) as WaitRow[];
}

describe.skipIf(PG_SKIP)('a cluster under SIGKILL and SIGSTOP', () => {
  it('keeps to the shared budget: every process ends well, no 429, the stopped node is fenced, stops, and resumes its processes when started again', async () => {
    fake = await startFakeProvider({
      latencyMs: 20,
      limits: { rpm: 125, windowMs: 1_000 },
      reply: ({ messages }: { messages: unknown[] }) =>
        messages.length < 2 * TURNS - 1
          ? `[SYS_CALL::SYS_WRITE_STDOUT] {"text":"step ${messages.length}"}`
          : '[SYS_CALL::SYS_EXIT] {"code":0}',
    });
    const url = await pgServer.server.createDatabase();
    const nodes: Array<{ h: TestHome; name: string }> = [];
    for (const name of ['a', 'b', 'c']) {
      const h = await makeHome();
      homes.push(h);
      Object.assign(h.env, {
        AOS_DATABASE_URL: url,
        AOS_NODE: name,
        AOS_LIMITS: LIMITS,
        OPENAI_BASE_URL: `${fake.url}/v1`,
        OPENAI_API_KEY: 'sk-test',
      });
      expect((await h.cli(['kernel', 'start'], START)).code).toBe(0);
      nodes.push({ h, name });
    }
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const pids = await Promise.all(nodes.map((n) => spawnAll(n.h)));

    // c dies while it holds allowance (its requests in flight, its grant unspent).
    await until(() => (fake?.requests.length ?? 0) > 40, 20_000);
    const cPid = (await c.h.daemonPid()) ?? 0;
    process.kill(cPid, 'SIGKILL');

    // b stops past the lease: the others fence it; continued, it finds out and joins again.
    const bPid = (await b.h.daemonPid()) ?? 0;
    process.kill(bPid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, param.clusterLeaseMs + 2 * param.clusterHeartbeatMs + 500));
    const seen = JSON.parse((await a.h.cli(['kernel', 'status', '--json'])).stdout) as {
      cluster: { nodes: Array<{ name: string; state: string }> };
    };
    expect(Object.fromEntries(seen.cluster.nodes.map((n) => [n.name, n.state]))).toMatchObject({
      a: 'live',
      b: 'dead',
      c: 'dead',
    });
    process.kill(bPid, 'SIGCONT');
    // Continued, b finds it was fenced: its store commits nothing more under its old epoch, so its
    // daemon stops (exit 75), and started again it resumes its processes from the database.
    const gone = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    await until(() => gone(bPid), 20_000);
    expect(await readFile(path.join(b.h.home, 'kernel.log'), 'utf8')).toMatch(
      /was declared dead by another node and can commit nothing more/,
    );
    expect((await b.h.cli(['kernel', 'start'], START)).code).toBe(0);

    // c starts again on its own store: its processes resume.
    expect((await c.h.cli(['kernel', 'start'], START)).code).toBe(0);

    const ends = await Promise.all(nodes.map((n, i) => waitAll(n.h, pids[i] ?? [])));
    for (const rows of ends) {
      expect(rows.map((r) => [r.state, r.exit_code])).toEqual(Array(PER_NODE).fill(['exited', 0]));
    }
    expect(fake.stats().limiterRejections).toBe(0);
    await until(async () => {
      const s = JSON.parse((await a.h.cli(['kernel', 'status', '--json'])).stdout) as {
        cluster: { nodes: Array<{ name: string; state: string }> };
      };
      return s.cluster.nodes.every((n) => n.state === 'live');
    }, 10_000);
  }, 240_000);
});
