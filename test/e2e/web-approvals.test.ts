import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMethod } from '../../protocol/protocol.js';
import { hasChromium, launchBrowser, screenshot } from '../helpers/browser.js';
import { jsonLines } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

// Approvals come with issue 12's kernel (the `approvals` method); until then the inbox is hidden and this waits.
const hasApprovals = isMethod('approvals');
if (!hasApprovals) console.warn('web approvals test skipped: this kernel has no approvals method');

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", spawn, ipc]
rules:
  - ask: "fs.write:/src/**"
approvals:
  timeout_s: 120
`;
const WRITE = (p: string): string => `[SYS_CALL::FS_WRITE] {"path":"${p}","content":"x"}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
let browser: Browser;
beforeAll(async () => {
  if (!hasChromium || !hasApprovals) return;
  t = await makeHome();
  const policy = path.join(t.home, 'ask.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy, AOS_WEB_PORT: '0' });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.dispose();
});

describe.skipIf(!hasChromium || !hasApprovals)('approvals on the web view', () => {
  it('an approval made on the page lets the process go on; a denial carries its reason; both are a person’s, via the web', async () => {
    const model = await t.tape({
      a: [WRITE('/src/a.txt'), { expect: '"bytes":1', reply: EXIT }],
      b: [WRITE('/src/b.txt'), { expect: ['EACCES', 'not in src'], reply: EXIT }],
    });
    const spawn = async (name: string): Promise<number> =>
      (
        JSON.parse((await t.cli(['spawn', name, '--model', model, '--name', name, '--detach', '--json'])).stdout) as {
          pid: number;
        }
      ).pid;
    const a = await spawn('a');
    const b = await spawn('b');
    const { url, port } = JSON.parse((await t.cli(['web', '--no-open', '--json'])).stdout) as {
      url: string;
      port: number;
    };
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.waitForSelector(`li.proc[data-pid="${a}"][data-state="blocked"]`, { timeout: 15_000 });
    expect(await page.textContent(`li.proc[data-pid="${a}"] .why`)).toMatch(/approval/);
    await page.goto(`http://127.0.0.1:${port}/#approvals`);
    await page.waitForSelector(`li.approval[data-pid="${a}"]`);
    await page.waitForSelector(`li.approval[data-pid="${b}"]`);
    // The call as every surface shows it (protocol/show-call.ts): its path quoted as needed, its content by size and a preview.
    expect(await page.locator(`li.approval[data-pid="${a}"] dl.call dt`).allTextContents()).toEqual([
      'path',
      'content',
    ]);
    expect(await page.locator(`li.approval[data-pid="${a}"] dl.call dd`).allTextContents()).toEqual([
      '/src/a.txt',
      '1 byte: x',
    ]);
    await screenshot(page, 'approvals');
    await page.click(`li.approval[data-pid="${a}"] button.approve`);
    await page.fill(`li.approval[data-pid="${b}"] input.reason`, 'not in src');
    await page.click(`li.approval[data-pid="${b}"] button.deny`);
    await until(async () => (await t.cli(['ps', '--json'])).stdout === '[]\n', 15_000, 'both processes ended');
    for (const [pid, status] of [
      [a, 'approved'],
      [b, 'denied'],
    ] as const) {
      const events = jsonLines((await t.cli(['logs', String(pid), '--json'])).stdout);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'approval', status, decided_by: 'person', via: 'web' }),
      );
      expect(events.at(-1)).toMatchObject({ type: 'state', to: 'exited', code: 0 });
    }
    await page.waitForSelector('#approvals li.empty');
  }, 90_000);

  it('"Approve all N" answers the group the card shows, each via the web', async () => {
    const child = '[SYS_CALL::SPAWN_AGENT] {"role":"c","name":"c","task":"write","dedup":false}';
    const model = await t.tape({
      boss: [child, child, child, '[SYS_CALL::RECV_MSG] {"timeout_s":600}'],
      c: [WRITE('/src/c.txt'), { expect: '"bytes":1', reply: EXIT }],
    });
    const boss = (
      JSON.parse((await t.cli(['spawn', 'boss', '--model', model, '--name', 'boss', '--detach', '--json'])).stdout) as {
        pid: number;
      }
    ).pid;
    const { url, port } = JSON.parse((await t.cli(['web', '--no-open', '--json'])).stdout) as {
      url: string;
      port: number;
    };
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.goto(`http://127.0.0.1:${port}/#approvals`);
    await page.locator('li.approval').nth(2).waitFor({ timeout: 15_000 });
    expect(await page.textContent('li.approval button.approve-group')).toBe('Approve all 3');
    await page.click('li.approval button.approve-group');
    await page.waitForSelector('#approvals li.empty', { timeout: 15_000 });
    const audit = JSON.parse((await t.cli(['audit', '--json'])).stdout) as Array<{
      decision: string;
      via: string | null;
      pid: number;
    }>;
    expect(audit.filter((r) => r.decision === 'approved' && r.via === 'web' && r.pid > boss)).toHaveLength(3);
    await t.cli(['kill', String(boss)]);
  }, 90_000);
});
