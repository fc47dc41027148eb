/**
 * Proposals on the web view (issue 52.2) at the HTTP level, on a real kernel and socket server:
 * /api/proposals lists a pending write with how to show it, /api/undo (CSRF-protected, through
 * the kernel's `undo`) puts the file back, audited via the web; and the process that made the
 * write, still live, is told at its next turn that it was undone ([EVENT::PROPOSAL_UNDONE]).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';
import { raw, startWeb, type WebFixture } from '../../helpers/web.js';

const POLICY = `version: 1
root: {capabilities: ["fs.read:/**", "fs.write:/**", ipc]}
rules:
  - propose: "fs.write:/src/**"
`;

interface Row {
  id: string;
  pid: number;
  state: string;
  subject: string;
  via: string | null;
  decided_by: string | null;
  expires_at: string;
  shown: { call: string; name: string; rule: string; about: string };
}

let w: WebFixture;
let cookie = '';
let csrf = '';
let ws = '';
beforeAll(async () => {
  vi.stubEnv('AOS_WEB_PORT', '0');
  w = await startWeb(
    {
      root: [
        call('FS_WRITE', { path: '/src/a.txt', content: 'new' }),
        { expect: ['"proposal"', 'a person may undo it until'], reply: call('SYS_READ_STDIN', { timeout_s: 120 }) },
        // The next turn: the person's line, and the notice that the write was put back.
        {
          expect: ['go on', '[EVENT::PROPOSAL_UNDONE]', '"path":"/src/a.txt"', '"by":"a person, via web"'],
          reply: EXIT,
        },
      ],
    },
    { safety: parsePolicy(POLICY, 'test-policy').safety },
  );
  ({ cookie, csrf } = await w.login());
  ws = path.join(w.fx.dir, 'ws');
  await mkdir(path.join(ws, 'src'), { recursive: true });
  await writeFile(path.join(ws, 'src/a.txt'), 'old');
});
afterAll(async () => {
  await w.close();
  vi.unstubAllEnvs();
});

async function listed(): Promise<Row[]> {
  const answer = await raw(w.port, '/api/proposals', { headers: { Cookie: cookie } });
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { proposals: Row[] }).proposals;
}

function undo(body: string, withCsrf = true): ReturnType<typeof raw> {
  return raw(w.port, '/api/undo', {
    method: 'POST',
    headers: {
      Cookie: cookie,
      Origin: `http://127.0.0.1:${w.port}`,
      'Content-Type': 'application/json',
      ...(withCsrf ? { 'X-AOS-CSRF': csrf } : {}),
    },
    body,
  });
}

describe('proposals on the web view', () => {
  it('lists a pending write, undoes it from the page (CSRF needed), and tells the live process', async () => {
    const session = JSON.parse((await raw(w.port, '/api/session', { headers: { Cookie: cookie } })).body) as {
      features: { proposals: boolean };
    };
    expect(session.features.proposals).toBe(true);
    const { pid } = await w.fx.kernel.spawn({ task: 'write', model: w.fx.model });
    let rows: Row[] = [];
    await until(
      async () => (rows = (await listed()).filter((r) => r.pid === pid && r.state === 'pending')).length === 1,
      20_000,
      'the write listed as pending',
    );
    const [p] = rows as [Row];
    expect(p).toMatchObject({
      subject: '/src/a.txt',
      shown: { call: 'FS_WRITE', name: 'root', rule: 'propose: "fs.write:/src/**"', about: '/src/a.txt' },
    });
    expect(Date.parse(p.expires_at)).toBeGreaterThan(Date.now());
    expect(await readFile(path.join(ws, 'src/a.txt'), 'utf8')).toBe('new');

    // Without the page's CSRF token nothing is undone; a malformed body is a clear 400.
    expect((await undo(JSON.stringify({ id: p.id }), false)).status).toBe(403);
    expect(await readFile(path.join(ws, 'src/a.txt'), 'utf8')).toBe('new');
    const bad = await undo(JSON.stringify({ id: 7 }));
    expect(bad.status).toBe(400);

    const done = await undo(JSON.stringify({ id: p.id }));
    expect([done.status, JSON.parse(done.body)]).toEqual([
      200,
      { id: p.id, pid, path: '/src/a.txt', action: 'restored' },
    ]);
    expect(await readFile(path.join(ws, 'src/a.txt'), 'utf8')).toBe('old');
    expect((await listed()).find((r) => r.id === p.id)).toMatchObject({
      state: 'undone',
      decided_by: 'person',
      via: 'web',
    });
    // Twice is refused, with the kernel's words.
    const again = await undo(JSON.stringify({ id: p.id }));
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.body).toMatch(/already undone/);

    // The process goes on at its next turn; the tape's expect fails it unless the notice is there.
    w.fx.kernel.send(pid, 'go on');
    const end = await w.fx.kernel.waitExit(pid);
    expect([end.state, end.exitCode]).toEqual(['exited', 0]);
  }, 60_000);
});
