/**
 * The web view's "Try a policy" screen in a real browser (issue 52.3): a candidate pasted, the
 * process named, and the calls it would decide differently drawn as a table — through the same
 * `policy_try` method as `aos policy check --against`.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasChromium, launchBrowser, screenshot } from '../helpers/browser.js';
import { call } from '../helpers/kernel-harness.js';
import { startWeb, type WebFixture } from '../helpers/web.js';

let w: WebFixture;
let browser: Browser | undefined;
let page: Page;
let pid = 0;
const pageErrors: string[] = [];

describe.skipIf(!hasChromium)('the policy screen in a real browser (chromium)', () => {
  beforeAll(async () => {
    vi.stubEnv('AOS_WEB_PORT', '0');
    w = await startWeb({
      root: [call('FS_WRITE', { path: '/notes/a.txt', content: 'x' }), call('SYS_EXIT', { code: 0 })],
    });
    pid = (await w.fx.kernel.spawn({ task: 'write', model: w.fx.model })).pid;
    await w.fx.kernel.waitExit(pid);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(await w.loginUrl());
    await page.waitForSelector('#conn[data-status="live"]');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
    vi.unstubAllEnvs();
  });

  it('draws the calls a pasted candidate would decide differently, and a bad one as its error', async () => {
    await page.goto(`http://127.0.0.1:${w.port}/#policy`);
    await page.waitForSelector('#screen-policy:not([hidden])');
    await page.fill(
      '#policy-text',
      'version: 1\nroot:\n  capabilities: ["fs.write:/**"]\nrules:\n  - deny: "fs.write:/notes/**"\n',
    );
    await page.fill('#policy-pids', String(pid));
    await page.click('#policy-try');
    await page.waitForSelector('#policy-diff table');
    const row = await page.textContent('#policy-diff table tr:nth-child(2)');
    expect(row).toContain('FS_WRITE');
    expect(row).toContain('allow');
    expect(row).toContain('deny: "fs.write:/notes/**"');
    expect(row).toContain('/notes/a.txt');
    expect(await page.textContent('#policy-diff')).toContain('1 allow→deny');
    await screenshot(page, 'policy-try');

    await page.fill('#policy-text', 'version: 1\nrules:\n  - maybe: "fs.write:/**"\n');
    await page.click('#policy-try');
    await page.waitForSelector('#policy-diff .error');
    expect(await page.textContent('#policy-diff .error')).toContain('EINVAL');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
