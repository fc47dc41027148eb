/** Debian's chromium driven by playwright-core (no downloaded browsers); absent → the browser tests skip with a message. */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './cli.js';

export const CHROMIUM = process.env.AOS_CHROMIUM || '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
/** Screenshots of each screen under test, kept (gitignored) for people to look at. */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'web');

if (!hasChromium)
  console.warn(
    `browser tests skipped: no chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set AOS_CHROMIUM)`,
  );

export function launchBrowser(): Promise<Browser> {
  // We run as root in CI: chromium's own sandbox needs a user namespace it cannot have there.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
