/**
 * The Proposals panel in a real chromium (issue 52.2): writes under a `propose` rule appear live
 * beside the approvals with the time left; Undo puts the file back and greys the card; one whose
 * window passes turns final, greyed, its button gone. The model's path is shown as text, escaped.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { hasChromium, launchBrowser, screenshot } from '../helpers/browser.js';
import { call } from '../helpers/kernel-harness.js';
import { startWeb, type WebFixture } from '../helpers/web.js';

const POLICY = `version: 1
root: {capabilities: ["fs.read:/**", "fs.write:/**", ipc]}
rules:
  - propose: "fs.write:/src/**"
  - propose: "fs.write:/quick/**"
    window: 3s
`;
const TAG = '<img src=x onerror="document.title=1">';

let w: WebFixture;
let browser: Browser;
let ws = '';
beforeAll(async () => {
  if (!hasChromium) return;
  vi.stubEnv('AOS_WEB_PORT', '0');
  w = await startWeb(
    {
      writer: [
        call('FS_WRITE', { path: '/src/a.txt', content: 'new a' }),
        { expect: '"proposal"', reply: call('FS_WRITE', { path: `/src/${TAG}.txt`, content: 'made' }) },
        { expect: '"proposal"', reply: call('FS_WRITE', { path: '/quick/q.txt', content: 'kept' }) },
        { expect: '"proposal"', reply: call('SYS_READ_STDIN', { timeout_s: 120 }) },
      ],
    },
    { safety: parsePolicy(POLICY, 'test-policy').safety },
  );
  ws = path.join(w.fx.dir, 'ws');
  await mkdir(path.join(ws, 'src'), { recursive: true });
  await mkdir(path.join(ws, 'quick'), { recursive: true });
  await writeFile(path.join(ws, 'src/a.txt'), 'old a');
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await w?.close();
  vi.unstubAllEnvs();
});

describe.skipIf(!hasChromium)('the Proposals panel', () => {
  it('shows proposals live with the time left, undoes one, and greys the settled ones', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(await w.loginUrl());
    await page.goto(`http://127.0.0.1:${w.port}/#approvals`);
    await page.waitForSelector('#proposals li.empty');
    // Spawned once the page is open: the cards come with the `proposal` events on the stream.
    const { pid } = await w.fx.kernel.spawn({ task: 'write', model: w.fx.model, name: 'writer' });
    await page.waitForSelector(`#proposals li.proposal.pending[data-pid="${pid}"] >> nth=2`, { timeout: 20_000 });
    const a = page.locator('#proposals li.proposal', { hasText: '/src/a.txt' });
    expect(await a.locator('.left').textContent()).toMatch(/^undo within 1[45]m\d+s$/);
    expect(await page.textContent('#proposals-count')).toMatch(/undoable/);
    // The model's path is text on the page, never markup.
    const tagged = page.locator('#proposals li.proposal', { hasText: TAG });
    expect(await tagged.locator('code.about').textContent()).toBe(`/src/${TAG}.txt`);
    expect(await page.locator('#proposals img').count()).toBe(0);
    await screenshot(page, 'proposals');

    await tagged.locator('button.undo').click();
    await tagged.and(page.locator('.undone')).waitFor({ timeout: 15_000 });
    await a.locator('button.undo').click();
    await expect.poll(() => readFile(path.join(ws, 'src/a.txt'), 'utf8'), { timeout: 15_000 }).toBe('old a');
    await expect.poll(() => page.locator('#proposals li.proposal.undone').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('#proposals li.proposal.undone button.undo').count()).toBe(0);
    await expect(readFile(path.join(ws, `src/${TAG}.txt`), 'utf8')).rejects.toThrow(/ENOENT/);

    // The 3 s one: final once its window passes, greyed, nothing to press; its file kept.
    const q = page.locator('#proposals li.proposal', { hasText: '/quick/q.txt' });
    await q.and(page.locator('.final')).waitFor({ timeout: 20_000 });
    expect(await q.locator('button.undo').count()).toBe(0);
    expect(await q.locator('.left').textContent()).toMatch(/^final since /);
    expect(await readFile(path.join(ws, 'quick/q.txt'), 'utf8')).toBe('kept');
    expect(await page.textContent('#proposals-count')).toBe('');
    expect(errors).toEqual([]);
    w.fx.kernel.kill(pid);
  }, 90_000);
});
