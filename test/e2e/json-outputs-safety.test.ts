/**
 * The --json outputs of the policy's verbs and the rest (models, web, approvals, approve, deny,
 * policy show, audit, audit verify, diff, rollback, mcp --http), run through the real CLI and
 * daemon under a policy that asks, each parsed with the schema `aos schema` publishes for it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**"]
rules:
  - ask: "fs.write:/src/**"
approvals:
  timeout_s: 120
`;
const WRITE = (p: string): string => `[SYS_CALL::FS_WRITE] {"path":"${p}","content":"x"}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'asks.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy, AOS_WEB_PORT: '0', AOS_WEBHOOK_PORT: '0' });
});
afterAll(async () => {
  await t.dispose();
});

async function json(args: string[], name: keyof typeof PUBLISHED, code = 0): Promise<unknown> {
  const run = await t.cli([...args, '--json'], { timeoutMs: 30_000 });
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(code);
  const parsed = PUBLISHED[name].safeParse(JSON.parse(run.stdout));
  expect(parsed.success, `${name}: ${parsed.error?.message ?? ''}\n${run.stdout}`).toBe(true);
  return parsed.data;
}

describe('--json outputs of the policy verbs, and their schemas', () => {
  it('models, web, approvals, approve, deny, policy show, audit, audit verify, diff, rollback, mcp --http', async () => {
    await json(['models'], 'models');
    const web = (await json(['web', '--no-open'], 'web')) as { opened: boolean };
    expect(web.opened).toBe(false);
    const model = await t.tape({
      a: [WRITE('/src/a.txt'), EXIT],
      b: [WRITE('/src/b.txt'), EXIT],
      free: [WRITE('/out/c.txt'), EXIT],
    });
    const spawn = async (name: string): Promise<number> =>
      (
        JSON.parse((await t.cli(['spawn', name, '--model', model, '--name', name, '--detach', '--json'])).stdout) as {
          pid: number;
        }
      ).pid;
    const a = await spawn('a');
    const b = await spawn('b');
    const free = await spawn('free');
    let pending: Array<{ id: string; pid: number }> = [];
    await until(
      async () => (pending = (await json(['approvals'], 'approvals')) as typeof pending).length === 2,
      15_000,
      'two pending approvals',
    );
    const ofA = pending.find((p) => p.pid === a) as { id: string };
    const ofB = pending.find((p) => p.pid === b) as { id: string };
    expect(await json(['approve', ofA.id], 'answered')).toEqual({ id: ofA.id, pid: a });
    expect(await json(['deny', ofB.id, '--reason', 'not there'], 'answered')).toEqual({ id: ofB.id, pid: b });
    for (const pid of [a, b, free]) expect((await t.cli(['wait', String(pid)])).code).toBe(0);
    await json(['policy', 'show'], 'policy-show');
    await json(['policy', 'show', '--pid', String(a)], 'policy-show');
    const rows = (await json(['audit'], 'audit')) as Array<{ decision: string }>;
    expect(rows.map((r) => r.decision)).toEqual(expect.arrayContaining(['ask', 'approved', 'denied', 'allow']));
    expect(await json(['audit', 'verify'], 'audit-verify')).toMatchObject({ ok: true });
    const changed = (await json(['diff', String(free)], 'diff')) as Array<{ path: string; status: string }>;
    expect(changed).toEqual([expect.objectContaining({ path: '/out/c.txt', status: 'added' })]);
    expect(await json(['rollback', String(free)], 'rollback')).toEqual([{ path: '/out/c.txt', action: 'removed' }]);
    await json(['mcp', '--http'], 'mcp-http');
  }, 90_000);
});
