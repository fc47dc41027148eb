/**
 * Issue 46 end to end, through the real daemon and CLI as a user runs them: exec rules that mean
 * what they say (no ` *`, a path, a script program), a subcommand behind options, an approval that
 * shows the program as it will run and covers only it, and `aos policy check` refusing a rule that
 * could never match.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap, isExecutableFile } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const ready = Boolean((await findBwrap()) && (await findGate()) && (await isExecutableFile('/usr/bin/git')));
if (!ready) console.log('bwrap, the exec gate or git is missing: exec policy end to end is skipped');

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", exec]
rules:
  - deny: "exec:rm"
  - deny: "exec:/usr/bin/shred"
  - deny: "exec:npm"
  - deny: "exec:git commit"
  - ask: "exec:git push"
approvals:
  timeout_s: 120
`;
const EXEC = (cmd: string): string => `[SYS_CALL::EXEC_CMD] ${JSON.stringify({ cmd })}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'exec-policy.yaml');
  await writeFile(policy, POLICY);
  env = { AOS_POLICY: policy };
});
afterAll(async () => {
  await t?.dispose();
});

describe.runIf(ready)('exec rules through the daemon', () => {
  it('holds rm without " *", a path rule, a script program and a subcommand behind options', async () => {
    const ws = t.env.AOS_WORKSPACE as string;
    mkdirSync(ws, { recursive: true });
    for (const name of ['v1', 'v2', 'v3', 'v4', 'v5']) writeFileSync(path.join(ws, name), 'precious');
    execFileSync('git', ['init', '-q', '-b', 'main', path.join(ws, 'repo')]);
    const line = [
      'rm -f v1',
      '/bin/rm -f v2',
      `python3 -c "import os; os.execv('/usr/bin/rm', ['rm', '-f', 'v3'])"`,
      'shred -u v4',
      'x=np; ${x}m --version',
      'git -C repo -c user.name=a -c user.email=a@a commit -q --allow-empty -m x',
      'echo survived',
    ].join('; ');
    const model = await t.tape({ root: [EXEC(line), { expect: 'survived', reply: EXIT }] });
    const run = await t.cli(['spawn', 'holds', '--model', model], { env, timeoutMs: 60_000 });
    expect(run.code).toBe(0);
    for (const name of ['v1', 'v2', 'v3', 'v4']) expect(existsSync(path.join(ws, name)), name).toBe(true);
    expect(() =>
      execFileSync('git', ['-C', path.join(ws, 'repo'), 'rev-parse', 'HEAD'], { stdio: 'ignore' }),
    ).toThrow();
    const audit = JSON.parse((await t.cli(['audit', '--json'], { env })).stdout) as Array<{
      decision: string;
      rule: string | null;
      subject: string;
    }>;
    const denied = audit.filter((r) => r.decision === 'deny').map((r) => r.rule);
    expect(denied).toEqual(
      expect.arrayContaining([
        'deny: "exec:rm"',
        'deny: "exec:/usr/bin/shred"',
        'deny: "exec:npm"',
        'deny: "exec:git commit"',
      ]),
    );
  }, 120_000);

  it('asks about each push as it will run, shows it quoted, and lets through only what was approved', async () => {
    const ws = t.env.AOS_WORKSPACE as string;
    mkdirSync(ws, { recursive: true });
    for (const bare of ['remote.git', 'evil.git']) {
      execFileSync('git', ['init', '-q', '--bare', path.join(ws, bare)]);
      // Push options (-o) are refused by a remote that does not take them.
      execFileSync('git', ['--git-dir', path.join(ws, bare), 'config', 'receive.advertisePushOptions', 'true']);
    }
    const repo = path.join(ws, 'r');
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: repo,
        env: {
          PATH: '/usr/bin:/bin',
          HOME: ws,
          GIT_AUTHOR_NAME: 'a',
          GIT_AUTHOR_EMAIL: 'a@a',
          GIT_COMMITTER_NAME: 'a',
          GIT_COMMITTER_EMAIL: 'a@a',
        },
      });
    git('init', '-q', '-b', 'main');
    git('commit', '-q', '--allow-empty', '-m', 'one');
    git('remote', 'add', 'origin', '/workspace/remote.git');
    git('config', 'safe.directory', '*');
    const line =
      'cd r && git push -q -o "ci.skip --dry-run" origin HEAD:refs/heads/main && git -c remote.origin.url=/workspace/evil.git push -q origin HEAD:refs/heads/main; echo done';
    const model = await t.tape({ root: [EXEC(line), { expect: 'done', reply: EXIT }] });
    const { pid } = JSON.parse(
      (await t.cli(['spawn', 'push', '--model', model, '--detach', '--json'], { env })).stdout,
    ) as { pid: number };
    type Pending = { id: string; pid: number; subject: string; args: { argv: string[]; cwd: string; program: string } };
    const list = async (): Promise<Pending[]> =>
      JSON.parse((await t.cli(['approvals', '--json'], { env })).stdout) as Pending[];
    let pending: Pending[] = [];
    await until(async () => (pending = await list()).length === 1, 30_000, 'the first push to be asked');
    expect(pending[0]).toMatchObject({
      pid,
      args: {
        program: '/usr/bin/git',
        argv: ['git', 'push', '-q', '-o', 'ci.skip --dry-run', 'origin', 'HEAD:refs/heads/main'],
        cwd: '/workspace/r',
      },
    });
    const shown = await t.cli(['approvals'], { env });
    expect(shown.stdout).toContain("'ci.skip --dry-run'");
    expect((await t.cli(['approve', pending[0]!.id], { env })).code).toBe(0);
    const firstId = pending[0]!.id;
    await until(
      async () => (pending = (await list()).filter((r) => r.id !== firstId)).length === 1,
      30_000,
      'the second push to be asked',
    );
    expect(pending[0]?.args.argv).toEqual([
      'git',
      '-c',
      'remote.origin.url=/workspace/evil.git',
      'push',
      '-q',
      'origin',
      'HEAD:refs/heads/main',
    ]);
    expect((await t.cli(['deny', pending[0]!.id, '--reason', 'not there'], { env })).code).toBe(0);
    await until(async () => (await t.cli(['ps', '--json'], { env })).stdout === '[]\n', 30_000, 'the process to end');
    const refs = (bare: string) =>
      execFileSync('git', ['--git-dir', path.join(ws, bare), 'for-each-ref', '--format=%(refname)'], {
        encoding: 'utf8',
      }).trim();
    expect(refs('remote.git')).toBe('refs/heads/main');
    expect(refs('evil.git')).toBe('');
  }, 120_000);

  it('aos policy check refuses every rule that could never match, naming each', async () => {
    const bad = path.join(t.home, 'bad.yaml');
    await writeFile(
      bad,
      'version: 1\nroot: {capabilities: [exec]}\nrules:\n  - deny: "exec:/usr/bin/no-such-tool"\n  - deny: "exec:cd *"\n  - ask: "fs.write:/src/"\n',
    );
    const check = await t.cli(['policy', 'check', bad, '--json'], { env });
    expect(check.code).toBe(1);
    const out = JSON.parse(check.stdout) as { ok: boolean; error: string };
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/3 rules refused/);
    expect(out.error).toMatch(
      /line 4[\s\S]*no file on this host[\s\S]*line 5[\s\S]*bash builtin[\s\S]*line 6[\s\S]*fs\.write:\/src\/\*\*/,
    );
  }, 60_000);
});
