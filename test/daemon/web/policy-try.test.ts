/**
 * The web view's policy screen (issue 52.3): a pasted candidate tried on a recorded run through
 * POST /api/policy-try — the same `policy_try` method as `aos policy check --against` — answering
 * the calls it would decide differently; a bad candidate is a 400 naming its line, and the page's
 * CSRF token is required as for every other POST.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from '../../helpers/kernel-harness.js';
import { raw, startWeb, type WebFixture } from '../../helpers/web.js';

let w: WebFixture;
let cookie = '';
let csrf = '';
let pid = 0;
beforeAll(async () => {
  vi.stubEnv('AOS_WEB_PORT', '0');
  w = await startWeb({
    root: [call('FS_WRITE', { path: '/a.txt', content: 'x' }), call('SYS_EXIT', { code: 0 })],
  });
  ({ cookie, csrf } = await w.login());
  pid = (await w.fx.kernel.spawn({ task: 'write', model: w.fx.model })).pid;
  await w.fx.kernel.waitExit(pid);
});
afterAll(async () => {
  await w.close();
  vi.unstubAllEnvs();
});

const candidate = (rule: string): string =>
  `version: 1\nroot:\n  capabilities: ["fs.write:/**"]\nrules:\n  - ${rule}\n`;

async function tryIt(body: unknown, withCsrf = true): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    Cookie: cookie,
    Origin: `http://127.0.0.1:${w.port}`,
    'Content-Type': 'application/json',
    ...(withCsrf ? { 'X-AOS-CSRF': csrf } : {}),
  };
  const answer = await raw(w.port, '/api/policy-try', { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: answer.status, body: JSON.parse(answer.body) as Record<string, unknown> };
}

describe('POST /api/policy-try', () => {
  it('answers the calls a pasted candidate would decide differently, with every call counted', async () => {
    const tried = await tryIt({ text: candidate('deny: "fs.write:/a.txt"'), pids: [pid] });
    expect(tried.status).toBe(200);
    expect(tried.body).toMatchObject({
      calls: 2,
      counts: { same: 1, 'allow→deny': 1 },
      rows: [{ pid, call: 'FS_WRITE', before: { verdict: 'allow' }, after: { verdict: 'deny' } }],
    });
  });

  it('refuses a bad candidate with its line, and a POST without the page token', async () => {
    const bad = await tryIt({ text: candidate('maybe: "fs.write:/**"'), pids: [pid] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('EINVAL');
    expect((await tryIt({ text: candidate('deny: "fs.write:/a.txt"'), pids: [pid] }, false)).status).toBe(403);
  });
});
