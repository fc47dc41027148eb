import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const WEB = path.join(ROOT, 'web');

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(full)));
    else out.push(full);
  }
  return out;
}

describe('web/: the page', () => {
  it('is under 200 KB in all, vendored library included', async () => {
    const sizes = await Promise.all((await files(WEB)).map(async (f) => (await stat(f)).size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(200 * 1024);
  });

  it('has nothing inline for the CSP to refuse: scripts and styles are files', async () => {
    const html = await readFile(path.join(WEB, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('imports only its own modules (no build step, no CDN)', async () => {
    for (const file of (await files(WEB)).filter((f) => f.endsWith('.js') && !f.includes('vendor'))) {
      const text = await readFile(file, 'utf8');
      for (const [, spec] of text.matchAll(/from '([^']+)'/g)) {
        expect(spec, `${path.basename(file)} imports ${spec}`).toMatch(/^\.\/[\w-]+\.js$/);
        await expect(stat(path.join(WEB, spec as string))).resolves.toBeTruthy();
      }
    }
  });
});
