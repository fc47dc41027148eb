/**
 * One kernel per workspace. Two kernels on one directory (every AOS_HOME defaults to the checkout's
 * `workspace/`) overwrite each other's files and rollback history without a word; so a daemon holds
 * a lock on its workspace, and a second one is refused, naming the holder — unless told to share
 * (AOS_SHARE_WORKSPACE=1). The lock is a file outside the workspace, where agents never see it: in
 * the machine's temp directory, named by a hash of the workspace's real path, holding the holder's
 * pid and AOS_HOME. It appears atomically with its content (written aside, hard-linked into place),
 * and one whose holder is no live aos daemon is taken over.
 */
import { createHash } from 'node:crypto';
import { chmod, link, mkdir, readFile, realpath, rename, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AosError } from '../sys/errno.js';
import { isDaemon } from '../sys/host/pid-file.js';
import { directoryProblem } from './start-dirs.js';

export interface WorkspaceHolder {
  pid: number;
  home: string;
  workspace: string;
}

export interface WorkspaceLock {
  readonly file: string;
  release(): Promise<void>;
}

/** Where the locks live: one directory for every user of the machine (sticky, like /tmp). */
export function lockDir(): string {
  return path.join(os.tmpdir(), 'aos-workspace-locks');
}

async function readHolder(file: string): Promise<WorkspaceHolder | null> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<WorkspaceHolder>;
    return typeof value.pid === 'number' && typeof value.home === 'string'
      ? { pid: value.pid, home: value.home, workspace: String(value.workspace ?? '') }
      : null;
  } catch {
    return null;
  }
}

async function create(file: string, holder: WorkspaceHolder): Promise<boolean> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Move a stale lock aside; one that turns out live (a race) goes back. */
async function takeOver(file: string, stale: WorkspaceHolder | null): Promise<void> {
  const aside = `${file}.${process.pid}.stale`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readHolder(aside);
  if (moved && moved.pid !== stale?.pid && isDaemon(moved.pid)) await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

function refusal(workspace: string, holder: WorkspaceHolder): AosError {
  return new AosError(
    'EBUSY',
    `the workspace ${workspace} is in use by the kernel of ${holder.home} (pid ${holder.pid}): two kernels in one workspace overwrite each other's files and rollback history. ` +
      `Give this kernel a workspace of its own (AOS_WORKSPACE=<dir>), stop the other (AOS_HOME=${holder.home} aos kernel stop), or share it knowingly (AOS_SHARE_WORKSPACE=1)`,
  );
}

const lockFile = (dir: string, real: string): string =>
  path.join(dir, `${createHash('sha256').update(real).digest('hex').slice(0, 32)}.json`);

/**
 * Why a kernel of `home` could not take the workspace: the live kernel of another home holds it (the
 * EBUSY lockWorkspace would throw). Null when free, held by this home's own kernel, or not made yet.
 */
export async function workspaceHeldElsewhere(workspace: string, home: string, dir = lockDir()): Promise<string | null> {
  const real = await realpath(workspace).catch(() => null);
  if (real === null) return null;
  const holder = await readHolder(lockFile(dir, real));
  return holder && path.resolve(holder.home) !== path.resolve(home) && isDaemon(holder.pid)
    ? refusal(real, holder).message
    : null;
}

/** Take the workspace for the kernel of `home`; throws EBUSY naming the live kernel that holds it. */
export async function lockWorkspace(workspace: string, home: string, dir = lockDir()): Promise<WorkspaceLock> {
  const problem = await directoryProblem('the workspace', workspace, 'AOS_WORKSPACE');
  if (problem !== null) throw new AosError('ENOTDIR', problem);
  await mkdir(workspace, { recursive: true });
  const real = await realpath(workspace);
  await mkdir(dir, { recursive: true, mode: 0o1777 });
  await chmod(dir, 0o1777).catch(() => undefined);
  const file = lockFile(dir, real);
  const me: WorkspaceHolder = { pid: process.pid, home, workspace: real };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await create(file, me)) {
      return {
        file,
        release: async () => {
          if ((await readHolder(file))?.pid === process.pid) await unlink(file).catch(() => undefined);
        },
      };
    }
    const holder = await readHolder(file);
    if (holder && holder.pid !== process.pid && isDaemon(holder.pid)) throw refusal(real, holder);
    await takeOver(file, holder);
  }
  throw new AosError('EAGAIN', `could not take the workspace lock ${file}; remove it if no kernel uses ${real}`);
}
