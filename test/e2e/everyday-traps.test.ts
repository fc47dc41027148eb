/**
 * Issue 14's traps through the real CLI and daemon: success and failure told apart, retries shown
 * while they wait, the small defects of ps, logs and send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../fakes/fake-provider.js';
import { jsonLines } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const BLOCK = '[SYS_CALL::RECV_MSG] {"timeout_s": 300}';
let t: TestHome;
let fake: FakeProvider;
let env: NodeJS.ProcessEnv;
const flakyCalls = { n: 0 };

function cli(
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): ReturnType<TestHome['cli']> {
  return t.cli(args, { timeoutMs: options.timeoutMs ?? 30_000, env: { ...env, ...options.env } });
}

beforeAll(async () => {
  t = await makeHome();
  fake = await startFakeProvider({
    // `broken` fails for good (a bad key); `flaky` answers 503 twice, then exits 0.
    fault: (ctx) => {
      if (ctx.model === 'broken') return { kind: 'auth' };
      if (ctx.model === 'flaky' && flakyCalls.n++ < 2) return { kind: 'server', status: 503 };
      return undefined;
    },
  });
  env = {
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: 'sk-test',
    GEMINI_API_KEY: '',
    GOOGLE_API_KEY: '',
    GEMINI_BASE_URL: '',
  };
});
afterAll(async () => {
  await t.dispose();
  await fake.close();
});

describe('exit status and blocked reasons', () => {
  it('ps says exited 0, exited 1 (model error), killed 137 and blocked (message); the model error is printed once', async () => {
    const ok = await cli(['spawn', '--model', await t.tape({ root: ['[SYS_CALL::SYS_EXIT] {"code":0}'] })]);
    expect(ok.code).toBe(0);
    const broken = await cli(['spawn', '--model', 'openai:broken', '--name', 'broken']);
    expect(broken.code).toBe(1);
    expect(broken.stdout.match(/401|auth|key/gi)?.length ?? 0).toBeGreaterThan(0);
    expect(broken.stdout.split('\n').filter((l) => /model error|model call failed/.test(l))).toHaveLength(1);
    expect(broken.stdout).toMatch(/\[\d+ broken\] exited 1: model error: /);
    const blocked = (
      await cli(['spawn', '--model', await t.tape({ waiter: [BLOCK] }), '--name', 'waiter', '--detach'])
    ).stdout.trim();
    const killed = (
      await cli(['spawn', '--model', await t.tape({ victim: [BLOCK] }), '--name', 'victim', '--detach'])
    ).stdout.trim();
    const state = async (pid: string): Promise<string> =>
      (JSON.parse((await cli(['ps', '--json'])).stdout) as Array<{ pid: number; state: string }>).find(
        (r) => r.pid === Number(pid),
      )?.state ?? '';
    await until(async () => (await state(blocked)) === 'blocked', 20_000, 'waiter blocked');
    expect((await cli(['kill', killed])).code).toBe(0);

    const ps = await cli(['ps', '--all', '--no-trunc']);
    const row = (name: string): string => ps.stdout.split('\n').find((l) => l.includes(` ${name} `)) ?? '';
    expect(row('root')).toMatch(/ exited 0 /);
    expect(row('broken')).toMatch(/ exited 1 \(model error\) /);
    expect(row('victim')).toMatch(/ killed 137 /);
    expect(row('waiter')).toMatch(/ blocked \(message\) /);
    // Run time and ended-ago are separate columns once there is room (--no-trunc).
    expect(ps.stdout.split('\n')[0]).toMatch(/ TIME +AGE$/);
    expect(row('root')).toMatch(/ \d+s +\d+s ago$/);
    await cli(['kill', blocked]);
  }, 60_000);

  it('an attached spawn shows each retry as it waits, then a summary', async () => {
    const run = await cli(['spawn', '--model', 'openai:flaky', '--name', 'flaky']);
    expect(run.code).toBe(0);
    // Each retry names where the request went (issue 47.7).
    expect(run.stdout).toMatch(
      /\[\d+ flaky\] model: HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/v1, retry 1\/6 in \d+\.\d s\n/,
    );
    expect(run.stdout).toMatch(
      /\[\d+ flaky\] model: HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/v1, retry 2\/6 in \d+\.\d s\n/,
    );
    expect(run.stderr).toMatch(/^aos: process \d+ works in .*\/workspace \(its \/\)\n/);
    expect(run.stderr).toMatch(/aos: exited 0 after \d+s: 1 turn, 1 syscall, \S+ tokens, \$\S+\n$/);
    const pid = /\[(\d+) flaky\]/.exec(run.stdout)?.[1] ?? '';
    const events = jsonLines((await cli(['logs', pid, '--json'])).stdout);
    expect(events.filter((e) => e.type === 'retry')).toMatchObject([
      { type: 'retry', attempt: 1, max: 6, status: 503, kind: 'server' },
      { type: 'retry', attempt: 2, max: 6, status: 503, kind: 'server' },
    ]);
  }, 60_000);
});

describe('drift', () => {
  it('refuses a spawn the kernel would run with another base URL or key than the caller set, naming the fix', async () => {
    // The kernel started with the fake provider's URL and key (beforeAll's env, through the first verb).
    expect((await cli(['ps'])).code).toBe(0);
    const elsewhere = await cli(['spawn', 'hi', '--model', 'openai:flaky', '--detach'], {
      env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(
      'would run openai:flaky with other openai settings than yours: OPENAI_BASE_URL: yours "http://127.0.0.1:9/v1"',
    );
    expect(elsewhere.stderr).toContain('Run "aos kernel restart" to restart it with your settings');
    const otherKey = await cli(['spawn', 'hi', '--model', 'openai:flaky', '--detach'], {
      env: { OPENAI_API_KEY: 'sk-other' },
    });
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr).toMatch(
      /OPENAI_API_KEY: yours a key \(sha256:[0-9a-f]{12}\), the kernel's a key \(sha256:[0-9a-f]{12}\)/,
    );
    // Another provider's settings do not matter to a replay model; a setting the caller has not set is the kernel's.
    expect(
      (
        await cli(['spawn', '--model', await t.tape({ root: ['[SYS_CALL::SYS_EXIT] {"code":0}'] })], {
          env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
        })
      ).code,
    ).toBe(0);
    const unset = await cli(['spawn', 'hi', '--model', 'openai:quiet', '--detach'], {
      env: { OPENAI_BASE_URL: '', OPENAI_API_KEY: '' },
    });
    expect(unset.code, unset.stderr).toBe(0);
    await cli(['kill', unset.stdout.trim()]);
  }, 60_000);
});

describe('small defects', () => {
  it('logs --tail N prints N lines even when quiet events sit among them', async () => {
    const model = await t.tape({
      root: [
        '[SYS_CALL::SYS_WRITE_STDOUT] {"text":"one"}',
        '[SYS_CALL::SYS_WRITE_STDOUT] {"text":"two"}',
        '[SYS_CALL::SYS_EXIT] {"code":0}',
      ],
    });
    const pid = (await cli(['spawn', '--model', model, '--detach'])).stdout.trim();
    await cli(['logs', '-f', pid]);
    const all = (await cli(['logs', pid])).stdout.trimEnd().split('\n');
    expect(all.length).toBeGreaterThan(4);
    for (const n of [1, 3, 4]) {
      const tail = await cli(['logs', pid, '--tail', String(n)]);
      expect(tail.stdout.trimEnd().split('\n')).toEqual(all.slice(-n));
    }
  });

  it('piped ps honours COLUMNS, and --no-trunc cuts nothing', async () => {
    const name = 'a-process-name-long-enough-to-be-cut-at-eighty-columns';
    const model = await t.tape({ [name]: [BLOCK] }, 'a-tape-whose-file-name-is-long-as-well.yaml');
    const pid = (await cli(['spawn', '--model', model, '--name', name, '--detach'])).stdout.trim();
    const narrow = await cli(['ps']);
    expect(narrow.stdout).not.toContain(name);
    const wide = await cli(['ps'], { env: { COLUMNS: '240' } });
    expect(wide.stdout).toContain(name);
    expect(wide.stdout).toContain(model);
    const whole = await cli(['ps', '--no-trunc']);
    expect(whole.stdout).toContain(model);
    await cli(['kill', pid]);
  });

  it('send to an ended process says how it ended', async () => {
    const pid = (
      await cli(['spawn', '--model', await t.tape({ root: ['[SYS_CALL::SYS_EXIT] {"code":5}'] }), '--detach'])
    ).stdout.trim();
    await cli(['logs', '-f', pid]);
    const sent = await cli(['send', pid, 'hello']);
    expect(sent).toMatchObject({
      code: 1,
      stderr: `aos: process ${pid} has ended (exited 5); it reads no more input\n`,
    });
  });
});
