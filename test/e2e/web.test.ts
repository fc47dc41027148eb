import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
  t.env.AOS_WEB_PORT = '0';
});
afterAll(async () => {
  await t.dispose();
});

describe('aos web', () => {
  it('prints a one-time login link to the daemon’s web view; the link logs a browser in once', async () => {
    const out = await t.cli(['web', '--no-open', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const login = JSON.parse(out.stdout) as { url: string; port: number; expires_at: string; opened: boolean };
    expect(login).toMatchObject({ port: expect.any(Number), opened: false });
    expect(login.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${login.port}/login\\?token=[\\w-]{40,}$`));
    expect(Date.parse(login.expires_at)).toBeGreaterThan(Date.now());

    const first = await fetch(login.url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await fetch(`http://127.0.0.1:${login.port}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    expect((await fetch(login.url, { redirect: 'manual' })).status).toBe(401);

    // A second `aos web` is another link to the same listener.
    const again = JSON.parse((await t.cli(['web', '--no-open', '--json'])).stdout) as { url: string; port: number };
    expect(again.port).toBe(login.port);
    expect(again.url).not.toBe(login.url);
  }, 60_000);

  it('plain output is the link alone; --help explains', async () => {
    const out = await t.cli(['web', '--no-open']);
    expect(out.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?token=[\w-]+\n$/);
    const help = await t.cli(['web', '--help']);
    expect(help.stdout).toContain('--no-open');
    expect(help.stdout).toContain('AOS_WEB_PORT');
  }, 60_000);
});
