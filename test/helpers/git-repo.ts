/** A git repository in a workspace with one commit and a bare remote beside it: the push the exec gate tests stop. */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** `<workspace>/repo` on branch main with one empty commit, its `origin` the bare `<workspace>/remote.git` as the sandbox sees it. */
export function makeRepo(workspace: string): void {
  mkdirSync(path.join(workspace, 'repo'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: path.join(workspace, 'repo'),
      env: {
        PATH: '/usr/bin:/bin',
        HOME: workspace,
        GIT_AUTHOR_NAME: 'a',
        GIT_AUTHOR_EMAIL: 'a@a',
        GIT_COMMITTER_NAME: 'a',
        GIT_COMMITTER_EMAIL: 'a@a',
      },
    });
  execFileSync('git', ['init', '-q', '--bare', path.join(workspace, 'remote.git')]);
  git('init', '-q', '-b', 'main');
  git('commit', '-q', '--allow-empty', '-m', 'one');
  git('remote', 'add', 'origin', '/workspace/remote.git');
  git('config', 'push.default', 'current');
  git('config', 'safe.directory', '*');
}

/** Whether a push reached the remote: its `main` exists. */
export function remoteHasMain(workspace: string): boolean {
  try {
    execFileSync(
      'git',
      ['--git-dir', path.join(workspace, 'remote.git'), 'rev-parse', '--verify', '-q', 'refs/heads/main'],
      { stdio: 'ignore' },
    );
    return true;
  } catch {
    return false;
  }
}
