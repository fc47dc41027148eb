/**
 * AOS_WEBHOOK_URL through the real daemon: processes are told URLs under the public address (a
 * proxy in front of the gateway), the gateway still answers them on 127.0.0.1, `kernel status`
 * shows both; a value that is not a plain http(s) base stops the start with the reason.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "ipc", "webhook"]
`;
const PUBLIC = 'https://hooks.example.test/team-a';

let t: TestHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

async function home(url: string): Promise<TestHome> {
  t = await makeHome();
  const policy = path.join(t.home, 'hooks.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy, AOS_WEBHOOK_PORT: '0', AOS_WEBHOOK_URL: url });
  return t;
}

describe('AOS_WEBHOOK_URL', () => {
  it('is the base of the URLs processes are told; the gateway answers them where it listens', async () => {
    const h = await home(`${PUBLIC}/`);
    const model = await h.tape({
      hook: [
        '[SYS_CALL::SYS_REGISTER_WEBHOOK] {"path": "deploy"}',
        '[SYS_CALL::RECV_MSG] {"timeout_s": 60}',
        { expect: '"body":"ship it"', reply: '[SYS_CALL::SYS_WEBHOOK_REPLY] {"request_id": "w1", "body": "shipped"}' },
        '[SYS_CALL::SYS_EXIT] {"code": 0}',
      ],
    });
    const spawned = await h.cli([
      'spawn',
      'deploy on request',
      '--name',
      'hook',
      '--model',
      model,
      '--detach',
      '--json',
    ]);
    expect(spawned.code, spawned.stderr).toBe(0);
    const pid = (JSON.parse(spawned.stdout) as { pid: number }).pid;
    let told = '';
    for (let i = 0; i < 200 && !told; i++) {
      const logs = await h.cli(['logs', String(pid)]);
      told = logs.stdout.match(/"url":"([^"]+)"/)?.[1] ?? '';
      if (!told) await new Promise((r) => setTimeout(r, 100));
    }
    expect(told).toMatch(/^https:\/\/hooks\.example\.test\/team-a\/hooks\/[\w-]{32}\/deploy$/);

    const status = await h.cli(['kernel', 'status']);
    const gateway = status.stdout.match(
      /^webhooks\s+(http:\/\/127\.0\.0\.1:\d+), told to processes as https:\/\/hooks\.example\.test\/team-a$/m,
    )?.[1];
    expect(gateway, status.stdout).toBeDefined();
    const json = JSON.parse((await h.cli(['kernel', 'status', '--json'])).stdout) as {
      webhook_url: string;
      webhook_public_url: string;
    };
    expect(json).toMatchObject({ webhook_url: gateway, webhook_public_url: PUBLIC });

    const res = await fetch(`${gateway}${told.slice(PUBLIC.length)}`, { method: 'POST', body: 'ship it' });
    expect([res.status, await res.text()]).toEqual([200, 'shipped']);
  }, 90_000);

  it('that is not a plain http(s) base stops the start, saying why', async () => {
    const h = await home('https://hooks.example.test/?team=a');
    const run = await h.cli(['kernel', 'start']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/AOS_WEBHOOK_URL must have no query, fragment or credentials/);
  }, 60_000);

  it("that holds a policy's secret stops the start without the value in the log or the error", async () => {
    const value = 'whk_live_93f1c2a7b8d4e6f0';
    const h = await home(`https://team:${value}@hooks.example.test/`);
    const policy = path.join(h.home, 'hooks.yaml');
    await writeFile(
      policy,
      `${POLICY}secrets:\n  HOOKS_TOKEN: {from_env: HOOKS_TEST_TOKEN, hosts: [hooks.example.test]}\n`,
    );
    h.env.HOOKS_TEST_TOKEN = value;
    const run = await h.cli(['kernel', 'start']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/AOS_WEBHOOK_URL must have no query, fragment or credentials/);
    const log = await readFile(path.join(h.home, 'kernel.log'), 'utf8');
    expect(log).toMatch(/AOS_WEBHOOK_URL must have no query/);
    expect(log).toContain('HOOKS_TOKEN');
    expect(log).not.toContain(value);
    expect(run.stderr).not.toContain(value);
  }, 60_000);
});
