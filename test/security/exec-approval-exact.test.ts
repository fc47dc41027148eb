/**
 * A person approves exactly what runs (issue 46.5, 46.6): each program the exec gate asks about is
 * shown as it will run — its file, its argv as a list, its working directory and the environment
 * that differs from the sandbox's — and an answer lets through that one program and nothing else.
 * Approvals × what can differ from what was shown: a second command of the line, `-c` options
 * added in a script, the environment (GIT_DIR), the directory, and quoting.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap, isExecutableFile } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const ready = Boolean((await findBwrap()) && (await findGate()) && (await isExecutableFile('/usr/bin/git')));
if (!ready) console.log('bwrap, the exec gate or git is missing: exact approvals are skipped');

const POLICY = parsePolicy(
  'version: 1\nroot: {capabilities: [exec]}\nrules:\n  - ask: "exec:git push"\n',
  'exact-policy',
).safety;
const ENV = {
  PATH: '/usr/bin:/bin',
  GIT_AUTHOR_NAME: 'a',
  GIT_AUTHOR_EMAIL: 'a@a',
  GIT_COMMITTER_NAME: 'a',
  GIT_COMMITTER_EMAIL: 'a@a',
};

/** Repositories `repo` and `repo2` with one commit, bare remotes `remote.git`, `other.git` and `evil.git` beside them. */
function makeRepos(ws: string): void {
  for (const bare of ['remote.git', 'other.git', 'evil.git'])
    execFileSync('git', ['init', '-q', '--bare', path.join(ws, bare)]);
  for (const name of ['repo', 'repo2']) {
    const dir = path.join(ws, name);
    mkdirSync(dir, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: { ...ENV, HOME: ws } });
    git('init', '-q', '-b', 'main');
    git('commit', '-q', '--allow-empty', '-m', name);
    git('remote', 'add', 'origin', '/workspace/remote.git');
    git('remote', 'add', 'other', '/workspace/other.git');
    git('config', 'safe.directory', '*');
  }
}

function refs(ws: string, bare: string): string[] {
  const out = execFileSync('git', ['--git-dir', path.join(ws, bare), 'for-each-ref', '--format=%(refname)'], {
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean).sort();
}

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function start(cmd: string): Promise<number> {
  h = await startHarness(
    { root: [call('EXEC_CMD', { cmd }), { expect: '"exit_code"', reply: EXIT }] },
    { safety: POLICY, rootCapabilities: ['exec', 'fs.read:/**', 'fs.write:/**'] },
  );
  makeRepos(h.workspace);
  return (await h.spawn()).pid;
}

type Request = ReturnType<Harness['kernel']['safety']['approvals']['list']>[number];
/** The next request that is not one of `seen`. */
async function nextRequest(seen: string[]): Promise<Request> {
  let found: Request | undefined;
  await until(
    () => (found = h!.kernel.safety.approvals.list(10).find((r) => !seen.includes(r.id))) !== undefined,
    20_000,
    'an approval request',
  );
  seen.push(found!.id);
  return found!;
}

describe.runIf(ready)('an approval covers only what the person saw', () => {
  it('two pushes in one line: each asked as it will run, each answered on its own, each audited', async () => {
    const cmd =
      'cd repo && git push -q origin HEAD:refs/heads/main && git push -q other HEAD:refs/heads/release --force';
    const pid = await start(cmd);
    const seen: string[] = [];
    const first = await nextRequest(seen);
    expect(first.args).toMatchObject({
      program: '/usr/bin/git',
      argv: ['git', 'push', '-q', 'origin', 'HEAD:refs/heads/main'],
      cwd: '/workspace/repo',
      env: {},
    });
    h!.kernel.safety.approvals.approve(first.id, 'socket');
    const second = await nextRequest(seen);
    expect(second.args).toMatchObject({
      argv: ['git', 'push', '-q', 'other', 'HEAD:refs/heads/release', '--force'],
      cwd: '/workspace/repo',
    });
    h!.kernel.safety.approvals.deny(second.id, 'not the release branch', 'socket');
    await h!.kernel.waitExit(pid);
    expect(refs(h!.workspace, 'remote.git')).toEqual(['refs/heads/main']);
    expect(refs(h!.workspace, 'other.git')).toEqual([]);
    const audit = h!.kernel.safety.audit
      .list({ limit: 50 })
      .filter((r) => r.call === 'EXEC_CMD')
      .map((r) => [r.decision, r.approval]);
    expect(audit).toEqual([
      ['ask', first.id],
      ['approved', first.id],
      ['ask', second.id],
      ['denied', second.id],
    ]);
  }, 60_000);

  it('the approved argv, run again with a -c option from a script, asks again', async () => {
    const hidden =
      "import subprocess; subprocess.call(['git', '-c', 'remote.origin.url=/workspace/evil.git', 'push', '-q', 'origin', 'HEAD:refs/heads/main'])";
    const pid = await start(`cd repo && git push -q origin HEAD:refs/heads/main && python3 -c "${hidden}"`);
    const seen: string[] = [];
    h!.kernel.safety.approvals.approve((await nextRequest(seen)).id, 'socket');
    const again = await nextRequest(seen);
    expect(again.args).toMatchObject({
      argv: ['git', '-c', 'remote.origin.url=/workspace/evil.git', 'push', '-q', 'origin', 'HEAD:refs/heads/main'],
    });
    h!.kernel.safety.approvals.deny(again.id, 'evil', 'socket');
    await h!.kernel.waitExit(pid);
    expect(refs(h!.workspace, 'evil.git')).toEqual([]);
    expect(refs(h!.workspace, 'remote.git')).toEqual(['refs/heads/main']);
  }, 60_000);

  it('shows the environment that decides which repository is pushed (GIT_DIR) and the directory', async () => {
    const pid = await start('GIT_DIR=/workspace/repo2/.git git push -q origin HEAD:refs/heads/from-repo2');
    const request = await nextRequest([]);
    expect(request.args).toMatchObject({
      argv: ['git', 'push', '-q', 'origin', 'HEAD:refs/heads/from-repo2'],
      cwd: '/workspace',
      env: { GIT_DIR: '/workspace/repo2/.git' },
    });
    expect(request.subject).toContain('GIT_DIR=/workspace/repo2/.git');
    h!.kernel.safety.approvals.deny(request.id, 'no', 'socket');
    await h!.kernel.waitExit(pid);
    expect(refs(h!.workspace, 'remote.git')).toEqual([]);
  }, 60_000);

  it('the same argv in another directory is another question', async () => {
    const pid = await start(
      '(cd repo && git push -q origin HEAD:refs/heads/a); (cd repo2 && git push -q origin HEAD:refs/heads/a)',
    );
    const seen: string[] = [];
    const first = await nextRequest(seen);
    expect(first.args).toMatchObject({ cwd: '/workspace/repo' });
    h!.kernel.safety.approvals.approve(first.id, 'socket');
    const second = await nextRequest(seen);
    expect(second.args).toMatchObject({ argv: (first.args as { argv: string[] }).argv, cwd: '/workspace/repo2' });
    h!.kernel.safety.approvals.deny(second.id, 'not that repository', 'socket');
    await h!.kernel.waitExit(pid);
    const log = execFileSync(
      'git',
      ['--git-dir', path.join(h!.workspace, 'remote.git'), 'log', '--format=%s', 'refs/heads/a'],
      { encoding: 'utf8' },
    );
    expect(log.trim()).toBe('repo');
  }, 60_000);

  it('keeps argument boundaries: a quoted "--dry-run" inside an option value is shown as one argument', async () => {
    const pid = await start('cd repo && git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main');
    const request = await nextRequest([]);
    expect(request.args).toMatchObject({
      argv: ['git', 'push', '-o', 'ci.skip --dry-run', 'origin', 'HEAD:refs/heads/main'],
    });
    expect(request.subject).toContain("'ci.skip --dry-run'");
    h!.kernel.safety.approvals.deny(request.id, 'no', 'socket');
    await h!.kernel.waitExit(pid);
  }, 60_000);
});
