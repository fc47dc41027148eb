import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from '../../helpers/kernel-harness.js';
import { raw, startWeb, type WebFixture } from '../../helpers/web.js';

const BLOCK = call('RECV_MSG', { timeout_s: 60 });

let w: WebFixture;
beforeAll(async () => {
  vi.stubEnv('AOS_WEB_PORT', '0');
  w = await startWeb({ root: [BLOCK] });
});
afterAll(async () => {
  await w.close();
  vi.unstubAllEnvs();
});

async function livePid(): Promise<number> {
  const pcb = await w.fx.kernel.spawn({ task: 'wait', model: w.fx.model });
  return pcb.pid;
}

function isLive(pid: number): boolean {
  const state = w.fx.kernel.pcb(pid)?.state;
  return state !== undefined && state !== 'exited' && state !== 'killed';
}

describe('web view: security', () => {
  it('listens on 127.0.0.1 only, on a port of its own', async () => {
    expect(new URL(await w.loginUrl()).hostname).toBe('127.0.0.1');
    expect(w.port).not.toBe(Number(new URL(w.fx.kernel.gatewayUrl ?? 'http://x:1').port));
  });

  it('a foreign Host gets 403 (DNS rebinding), even with a session', async () => {
    const { cookie } = await w.login();
    for (const host of [
      'evil.example',
      `evil.example:${w.port}`,
      `127.0.0.1:${w.port + 1}`,
      `127.0.0.1.nip.io:${w.port}`,
    ]) {
      const answer = await raw(w.port, '/api/ps', { headers: { Host: host, Cookie: cookie } });
      expect(answer.status, host).toBe(403);
    }
    expect((await raw(w.port, '/api/ps', { headers: { Host: `localhost:${w.port}`, Cookie: cookie } })).status).toBe(
      200,
    );
  });

  it('no session gets 401, on the page, the API and the stream', async () => {
    for (const path of ['/', '/index.html', '/api/ps', '/api/stream', '/api/events']) {
      expect((await raw(w.port, path)).status, path).toBe(401);
    }
    expect((await raw(w.port, '/api/ps', { headers: { Cookie: 'aos_session=forged' } })).status).toBe(401);
  });

  it('a login link works once, sets an HttpOnly SameSite=Strict cookie, and leaves no token in the next URL', async () => {
    const url = new URL(await w.loginUrl());
    const first = await raw(w.port, url.pathname + url.search);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(first.headers['set-cookie']?.[0]).toMatch(/^aos_session=[\w-]{20,}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect((await raw(w.port, url.pathname + url.search)).status).toBe(401);
    expect((await raw(w.port, '/login?token=made-up')).status).toBe(401);
  });

  it('a kill without the CSRF token, or with a foreign Origin, gets 403 and the process lives', async () => {
    const { cookie, csrf } = await w.login();
    const pid = await livePid();
    const origin = `http://127.0.0.1:${w.port}`;
    const body = JSON.stringify({ pid });
    const tries: Array<Record<string, string>> = [
      { Cookie: cookie, Origin: origin, 'Content-Type': 'application/json' },
      { Cookie: cookie, Origin: origin, 'Content-Type': 'application/json', 'X-AOS-CSRF': 'wrong' },
      { Cookie: cookie, Origin: 'http://evil.example', 'Content-Type': 'application/json', 'X-AOS-CSRF': csrf },
      { Cookie: cookie, Origin: `http://localhost:${w.port}`, 'Content-Type': 'application/json', 'X-AOS-CSRF': csrf },
      { Cookie: cookie, 'Content-Type': 'application/json', 'X-AOS-CSRF': csrf },
      { Cookie: cookie, Origin: origin, 'Content-Type': 'text/plain', 'X-AOS-CSRF': csrf },
    ];
    for (const headers of tries) {
      const answer = await raw(w.port, '/api/kill', { method: 'POST', headers, body });
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(isLive(pid)).toBe(true);
    }
    const noSession = await raw(w.port, '/api/kill', {
      method: 'POST',
      headers: { Origin: origin, 'Content-Type': 'application/json', 'X-AOS-CSRF': csrf },
      body,
    });
    expect(noSession.status).toBe(401);
    const ok = await raw(w.port, '/api/kill', {
      method: 'POST',
      headers: { Cookie: cookie, Origin: origin, 'Content-Type': 'application/json', 'X-AOS-CSRF': csrf },
      body,
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ killed: [pid] });
  });

  it('mutations are POST only; every answer carries a strict CSP and no CORS header', async () => {
    const { cookie } = await w.login();
    const get = await raw(w.port, '/api/kill?pid=1', { headers: { Cookie: cookie } });
    expect(get.status).toBe(404);
    const options = await raw(w.port, '/api/kill', {
      method: 'OPTIONS',
      headers: { Cookie: cookie, Origin: 'http://evil.example' },
    });
    expect(options.status).toBe(405);
    for (const answer of [
      get,
      options,
      await raw(w.port, '/', { headers: { Cookie: cookie } }),
      await raw(w.port, '/api/ps'),
    ]) {
      expect(answer.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
      expect(answer.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect(answer.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('after login, a token or server URL in a query string is not taken', async () => {
    const { cookie } = await w.login();
    const token = new URL(await w.loginUrl()).searchParams.get('token') as string;
    // The token rides on another path: not a login, no cookie; and the login link still works once.
    const elsewhere = await raw(w.port, `/?token=${token}`, { headers: { Cookie: cookie } });
    expect(elsewhere.headers['set-cookie']).toBeUndefined();
    expect((await raw(w.port, `/login?token=${token}`)).status).toBe(303);
    const page = await raw(w.port, '/', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
  });
});
