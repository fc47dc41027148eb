/**
 * The policy file, edited while the kernel runs (through the real CLI and daemon): a valid edit is
 * applied to the next decision, logged and audited, and `policy show` says when; an invalid edit
 * leaves the old policy in force and says why; `aos policy check` validates without the kernel;
 * `aos kernel restart` refuses to trade a running kernel for one that would refuse its policy.
 */
import { link, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const policy = (rules: string): string => `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", exec]
rules:
${rules}
approvals:
  timeout_s: 120
`;

let t: TestHome;
let file: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  t = await makeHome();
  file = path.join(t.home, 'edited.yaml');
  await writeFile(file, policy('  - deny: "exec:rm *"'));
  env = { AOS_POLICY: file };
});
afterAll(async () => {
  await t.dispose();
});

interface View {
  rules: Array<{ verdict: string; capability: string }>;
  loaded_at: string;
  load_error: string | null;
}

async function show(): Promise<View> {
  const run = await t.cli(['policy', 'show', '--json'], { env });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as View;
}

describe('editing the policy of a running kernel', () => {
  it('applies a valid edit at once, keeps the old policy on an invalid one and says why; check and restart validate first', async () => {
    expect((await t.cli(['kernel', 'start'], { env })).code).toBe(0);
    const pid = await t.daemonPid();
    const first = await show();
    expect(first.rules.map((r) => r.capability)).toEqual(['exec:rm *']);
    expect(first.load_error).toBeNull();

    await writeFile(file, policy('  - deny: "exec:rm *"\n  - deny: "fs.write:/locked/**"'));
    await until(async () => (await show()).rules.length === 2, 15_000, 'the edit applied');
    const edited = await show();
    expect(Date.parse(edited.loaded_at)).toBeGreaterThan(Date.parse(first.loaded_at));
    const audit = await t.cli(['audit', '--json'], { env });
    expect(audit.stdout).toContain('policy reloaded: 3 root capabilities, 2 rules');
    // The next decision follows it.
    const tape = await t.tape({
      root: ['[SYS_CALL::FS_WRITE] {"path":"/locked/a","content":"x"}', '[SYS_CALL::SYS_EXIT] {"code":0}'],
    });
    const run = await t.cli(['spawn', '--model', tape], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      '✗ FS_WRITE EACCES FS_WRITE was refused by the policy rule deny: "fs.write:/locked/**"',
    );

    // An edit with a mistake is not applied: the last good policy stays, and show says why.
    await writeFile(file, policy('  - deny: "exec:rm *"\n  - maybe: "fs.write:/**"'));
    await until(async () => (await show()).load_error !== null, 15_000, 'the bad edit reported');
    const kept = await show();
    expect(kept.rules).toHaveLength(2);
    expect(kept.load_error).toContain(file);
    expect((await t.cli(['policy', 'show'], { env })).stdout).toContain("its file's last edit was NOT applied");

    const check = await t.cli(['policy', 'check', file], { env });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(file);
    const restart = await t.cli(['kernel', 'restart'], { env, timeoutMs: 30_000 });
    expect(restart.code).toBe(1);
    expect(restart.stderr).toContain('not restarting: the new kernel would refuse its policy');
    expect(await t.daemonPid()).toBe(pid);

    await writeFile(file, policy('  - deny: "exec:rm *"'));
    const good = await t.cli(['policy', 'check', file, '--json'], { env });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, file, root_capabilities: 3, rules: 1 });
    await until(async () => (await show()).load_error === null, 15_000, 'the fixed edit applied');
    expect((await show()).rules).toHaveLength(1);
  }, 90_000);

  it('applies no edit while the policy has another name (a hard link) an agent could write through', async () => {
    expect((await t.cli(['kernel', 'start'], { env })).code).toBe(0);
    await until(async () => (await show()).load_error === null, 15_000, 'the policy in force');
    const inWorkspace = path.join(t.env.AOS_WORKSPACE as string, 'policy-copy.yaml');
    await link(file, inWorkspace); // `ln` where `cp` was meant: the same file, inside the workspace
    // What an agent with fs.write would do: widen the policy through the workspace's name, then wait for any reload.
    await writeFile(inWorkspace, policy('  - deny: "exec:unrelated *"'));
    await writeFile(file, policy('  - deny: "exec:unrelated *"'));
    await until(async () => (await show()).load_error !== null, 15_000, 'the edit refused');
    const kept = await show();
    expect(kept.rules.map((r) => r.capability)).toEqual(['exec:rm *']);
    expect(kept.load_error).toMatch(/has 2 hard links: another name for it may lie in the workspace/);
    const check = await t.cli(['policy', 'check', file, '--json'], { env });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('hard links');
    await rm(inWorkspace);
    await writeFile(file, policy('  - deny: "exec:rm *"'));
    await until(async () => (await show()).load_error === null, 15_000, 'an edit applied once the link is gone');
  }, 90_000);
});
