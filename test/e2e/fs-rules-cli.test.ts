/**
 * Issue 46.4 through the real daemon and CLI: the policy's fs rules hold in EXEC_CMD (the command
 * cannot write a denied path or read a hidden one, and the failed result names the rule); an edit
 * of the policy file holds from the next run; `aos policy check` says what a wildcard write rule
 * does to commands.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const ready = Boolean(await findBwrap());
const SECRET = 'SECRET-e2e-99b1';

const policy = (rules: string): string => `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", exec]
rules:${rules}
`;
const RULES = `
  - deny: "fs.write:/src/**"
  - deny: "fs.read:/private/**"
  - deny: "fs.write:/logs/*.log"`;

let t: TestHome;
let file: string;
let env: NodeJS.ProcessEnv;
let workspace: string;
beforeAll(async () => {
  t = await makeHome();
  file = path.join(t.home, 'rules.yaml');
  await writeFile(file, policy(RULES));
  env = { AOS_POLICY: file };
  workspace = t.env.AOS_WORKSPACE as string;
  await mkdir(path.join(workspace, 'src'), { recursive: true });
  await mkdir(path.join(workspace, 'private'), { recursive: true });
  await writeFile(path.join(workspace, 'src/a.js'), 'orig');
  await writeFile(path.join(workspace, 'private/key.txt'), SECRET);
});
afterAll(async () => {
  await t.dispose();
});

const exec = (cmd: string) => `[SYS_CALL::EXEC_CMD] ${JSON.stringify({ cmd })}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

describe.runIf(ready)('fs rules through the daemon', () => {
  it('holds them in EXEC_CMD, names them in a failed result, and follows an edit of the policy at the next run', async () => {
    const check = await t.cli(['policy', 'check', file], { env });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain('aos: warning: rule deny: "fs.write:/logs/*.log"');
    expect(check.stderr).toContain('more than the rule names');

    const tape = await t.tape({ root: [exec('echo pwned > src/a.js'), exec('cat private/key.txt'), EXIT] });
    const run = await t.cli(['spawn', '--model', tape, '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const results = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; name?: string; value?: { note?: string; exit_code?: number } })
      .filter((e) => e.type === 'result' && e.name === 'EXEC_CMD');
    expect(results[0]?.value?.note).toContain('/src is read-only to commands under deny: "fs.write:/src/**"');
    expect(results[1]?.value?.note).toContain('/private is hidden from commands under deny: "fs.read:/private/**"');
    expect(run.stdout).not.toContain(SECRET);
    expect(await readFile(path.join(workspace, 'src/a.js'), 'utf8')).toBe('orig');

    // The rules go; the next run writes.
    await writeFile(file, policy(' []'));
    await until(
      async () => {
        const show = await t.cli(['policy', 'show', '--json'], { env });
        return (JSON.parse(show.stdout) as { rules: unknown[] }).rules.length === 0;
      },
      15_000,
      'the edit applied',
    );
    const again = await t.cli(['spawn', '--model', await t.tape({ root: [exec('echo written > src/a.js'), EXIT] })], {
      env,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(path.join(workspace, 'src/a.js'), 'utf8')).toBe('written\n');
  }, 90_000);
});
