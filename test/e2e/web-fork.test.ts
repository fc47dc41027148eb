/** "fork from here" on the web view's waterfall (issue 35): a click on a turn starts the fork, and the page links to it. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../helpers/browser.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const WRITE = (p: string): string => `[SYS_CALL::FS_WRITE] {"path":"${p}","content":"x"}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
let browser: Browser;
beforeAll(async () => {
  if (!hasChromium) return;
  t = await makeHome();
  Object.assign(t.env, { AOS_WEB_PORT: '0' });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.dispose();
});

describe.skipIf(!hasChromium)('fork from the waterfall', () => {
  it('forks the process at the turn clicked and links to the new one', async () => {
    const model = await t.tape({ writer: [WRITE('/a.txt'), WRITE('/b.txt'), EXIT] });
    const run = await t.cli(['spawn', 'write two files', '--model', model, '--name', 'writer']);
    expect(run.code, run.stderr).toBe(0);
    const { url, port } = JSON.parse((await t.cli(['web', '--no-open', '--json'])).stdout) as {
      url: string;
      port: number;
    };
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.goto(`http://127.0.0.1:${port}/#procs/1`);
    await page.click('.tab[data-tab="waterfall"]');
    await page.click('li.turn[data-turn="1"] button.fork');
    await page.waitForSelector('li.turn[data-turn="1"] .fork-from a[href="#procs/2"]', { timeout: 15_000 });
    await until(
      async () =>
        /→ process 2 \(1 file put back\)/.test((await page.textContent('li.turn[data-turn="1"] .fork-from')) ?? ''),
      10_000,
      'the fork named beside its turn',
    );
    const logs = await t.cli(['logs', '2']);
    expect(logs.stdout).toContain('forked from 1 at turn 1');
  }, 60_000);
});
