/**
 * Where a command starts: the process's working directory inside the sandbox's /workspace. It is
 * made when the process may write there and is not yet, and checked before bwrap runs, so that a
 * directory that is gone, is a file, leads out through a symlink, or is not among the paths scoped
 * exec mounts gives a sentence naming it, not bwrap's chdir error.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import { fixedPrefix, type FsGrants } from './scoped-mounts.js';

function under(child: string, parent: string): boolean {
  return parent === '/' || child === parent || child.startsWith(`${parent}/`);
}

/** The sandbox path to start in, or null for /workspace itself (`cwd` `/`). */
export async function workingDirectory(workspace: string, cwd: string, grants: FsGrants | undefined, makeDir?: (virtualPath: string) => Promise<void>): Promise<string | null> {
  if (cwd === '/') return null;
  const covers = (globs: readonly string[]): boolean => globs.some((glob) => under(cwd, fixedPrefix(glob)));
  if (grants && !covers([...grants.read, ...grants.write])) {
    throw new AosError('EACCES', `EXEC_CMD: your working directory ${cwd} is not among the paths your fs capabilities grant, so a command cannot start there`);
  }
  // Made where the process may write (all of the workspace without grants), as FS_WRITE makes parents.
  if (makeDir && (!grants || covers(grants.write))) {
    await makeDir(cwd).catch((error: unknown) => {
      throw new AosError('EACCES', `EXEC_CMD: your working directory ${cwd} cannot be made: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  const wanted = path.join(workspace, cwd);
  let real: string;
  try {
    real = await realpath(wanted);
  } catch {
    throw new AosError('ENOENT', `EXEC_CMD: your working directory ${cwd} does not exist; make it with FS_WRITE, or give commands absolute paths`);
  }
  if (real !== wanted) throw new AosError('EACCES', `EXEC_CMD: your working directory ${cwd} is reached through a symbolic link; a command does not start there`);
  if (!(await stat(real)).isDirectory()) throw new AosError('ENOTDIR', `EXEC_CMD: your working directory ${cwd} is not a directory`);
  return `/workspace${cwd}`;
}
