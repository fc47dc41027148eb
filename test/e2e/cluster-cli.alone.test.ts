/**
 * `aos kernel start --database URL --node NAME` on real daemons (issue 36): two homes join one
 * throwaway PostgreSQL, `aos kernel status` on either lists both nodes (and `--json` has them), a
 * second kernel of a live name is refused with the way out, and a SIGKILLed node is declared dead
 * and fenced by the other within the lease plus a heartbeat.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../helpers/browser.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { publishedJson } from '../helpers/published-json.js';
import { param } from '../../sys/param.js';
import { PG_SKIP, postgresPerFile } from '../kernel/cluster/pg-fixture.js';

const pgServer = postgresPerFile();
const homes: TestHome[] = [];
/** A daemon's start beside a full suite on two cores can take longer than a verb's usual 15 s. */
const START = { timeoutMs: 60_000 };
afterEach(async () => {
  await Promise.all(homes.splice(0).map((h) => h.dispose()));
});
afterAll(async () => {
  await Promise.all(homes.map((h) => h.dispose()));
});

async function home(): Promise<TestHome> {
  const h = await makeHome();
  homes.push(h);
  return h;
}

interface StatusJson {
  cluster: {
    node: string;
    epoch: number;
    store: string;
    database: string;
    nodes: Array<{ name: string; state: string; fenced_by: string | null }>;
  } | null;
}

describe.skipIf(PG_SKIP)('aos kernel start --database --node', () => {
  it('two daemons join one database; status on either lists both; a live name is refused', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await home();
    const b = await home();
    expect((await a.cli(['kernel', 'start', '--database', url, '--node', 'alpha'], START)).code).toBe(0);
    expect(
      (await b.cli(['kernel', 'start', '--json'], { ...START, env: { AOS_DATABASE_URL: url, AOS_NODE: 'beta' } })).code,
    ).toBe(0);
    await until(async () => {
      const s = JSON.parse((await a.cli(['kernel', 'status', '--json'])).stdout) as StatusJson;
      return s.cluster?.nodes.length === 2;
    }, 10_000);
    // The --json fits the schema `aos schema` publishes (kernel-status, its cluster part included).
    const json = await publishedJson<StatusJson>((args) => b.cli(args), ['kernel', 'status'], 'kernel-status');
    expect(json.cluster).toMatchObject({ node: 'beta', store: 'postgres', schema: 'aos/beta' });
    expect(json.cluster?.nodes.map((n) => [n.name, n.state])).toEqual([
      ['alpha', 'live'],
      ['beta', 'live'],
    ]);
    const human = (await a.cli(['kernel', 'status'])).stdout;
    expect(human).toMatch(/cluster\s+node alpha, epoch \d+/);
    expect(human).toMatch(/store +postgres, schema aos\/alpha: every commit fenced by this node's epoch/);
    expect(human).toMatch(/NODE\s+STATE\s+EPOCH/);
    expect(human).toMatch(/alpha \*\s+live/);
    expect(human).toMatch(/beta\s+live/);
    // A verb from a shell without AOS_NODE is not told its node differs; a restart keeps the name (the home keeps it).
    const ps = await a.cli(['ps'], { env: { AOS_DATABASE_URL: url } });
    expect(ps.stderr).not.toContain('AOS_NODE');
    expect((await a.cli(['kernel', 'restart'], { env: { AOS_DATABASE_URL: url } })).code).toBe(0);
    const again = JSON.parse((await a.cli(['kernel', 'status', '--json'])).stdout) as StatusJson;
    expect(again.cluster).toMatchObject({ node: 'alpha' });
    // A third kernel calling itself alpha while alpha is live is refused at start, saying why.
    const c = await home();
    const refused = await c.cli(['kernel', 'start', '--database', url, '--node', 'alpha'], START);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/node "alpha" is live/);
  }, 60_000);

  it('a SIGKILLed node is declared dead and fenced by the other', async () => {
    const url = await pgServer.server.createDatabase();
    const a = await home();
    const b = await home();
    await a.cli(['kernel', 'start', '--database', url, '--node', 'alpha'], START);
    await b.cli(['kernel', 'start', '--database', url, '--node', 'beta'], START);
    // beta runs a process that sleeps: when beta dies, it is orphaned until beta starts again.
    const model = await b.tape({ sleeper: ['[SYS_CALL::SLEEP] {"seconds": 600}'] });
    expect((await b.cli(['spawn', '--detach', '--model', model, '--name', 'sleeper', 'sleep'])).code).toBe(0);
    await until(async () => {
      const s = JSON.parse((await a.cli(['kernel', 'status', '--json'])).stdout) as {
        cluster: { nodes: Array<{ name: string; processes: number }> };
      };
      return s.cluster.nodes.find((n) => n.name === 'beta')?.processes === 1;
    }, 10_000);
    const pid = await b.daemonPid();
    expect(pid).not.toBeNull();
    process.kill(pid ?? 0, 'SIGKILL');
    const killedAt = Date.now();
    await until(async () => {
      const s = JSON.parse((await a.cli(['kernel', 'status', '--json'])).stdout) as StatusJson;
      return s.cluster?.nodes.find((n) => n.name === 'beta')?.state === 'dead';
    }, param.clusterLeaseMs + 10_000);
    expect(Date.now() - killedAt).toBeLessThan(param.clusterLeaseMs + 3 * param.clusterHeartbeatMs + 3_000);
    const s = JSON.parse((await a.cli(['kernel', 'status', '--json'])).stdout) as StatusJson;
    expect(s.cluster?.nodes.find((n) => n.name === 'beta')).toMatchObject({ state: 'dead', fenced_by: 'alpha' });
    expect((await a.cli(['kernel', 'status'])).stdout).toMatch(
      /beta\s+dead \(fenced by alpha\)\s+\d+\s+\S+ m?s\s+1 orphaned/,
    );
    // beta starts again (same home, same host): it takes its name back under a new epoch.
    expect((await b.cli(['kernel', 'start', '--database', url, '--node', 'beta'], START)).code).toBe(0);
  }, 60_000);

  it('a database that cannot be reached stops the start with a clear error, the password never shown', async () => {
    const a = await home();
    const r = await a.cli(
      [
        'kernel',
        'start',
        '--database',
        `postgres://aos:hunter2@/nope?host=${encodeURIComponent('/nonexistent-dir')}`,
        '--node',
        'x',
      ],
      START,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/could not join/);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  }, 60_000);

  it.skipIf(!hasChromium)(
    "the web view's kernel screen lists the nodes",
    async () => {
      const url = await pgServer.server.createDatabase();
      const a = await home();
      const b = await home();
      Object.assign(a.env, { AOS_WEB_PORT: '0' });
      await a.cli(['kernel', 'start', '--database', url, '--node', 'alpha'], START);
      const { url: login, port } = JSON.parse((await a.cli(['web', '--no-open', '--json'])).stdout) as {
        url: string;
        port: number;
      };
      let browser: Browser | null = null;
      try {
        browser = await launchBrowser();
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.goto(login);
        await page.goto(`http://127.0.0.1:${port}/#kernel`);
        await page.waitForSelector('#cluster-nodes tr[data-node="alpha"]', { timeout: 15_000 });
        // beta joins while alpha is idle (no kernel event): the page hears of it all the same.
        await b.cli(['kernel', 'start', '--database', url, '--node', 'beta'], START);
        await page.waitForSelector('#cluster-nodes tr[data-node="beta"]', { timeout: 15_000 });
        expect(await page.textContent('#cluster-title')).toMatch(/node alpha, epoch \d+/);
        expect(await page.textContent('#cluster-nodes tr[data-node="alpha"]')).toContain('alpha (this node)');
      } finally {
        await browser?.close();
      }
    },
    60_000,
  );
});
