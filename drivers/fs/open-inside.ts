/**
 * Opening a name of the workspace: the pinned walk to its directory (host-confine.ts), or that
 * directory still open from an earlier walk (pinned-dirs.ts), the capability check on where it
 * really is, then the final name, never followed.
 */
import fs, { constants, type Stats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AosError } from '../../sys/errno.js';
import { toFsError } from './fs-errors.js';
import { assertFdInside, type ConfineContext, type InsideDir, openDirInside, procFdPath, realPathInside, walkPinned } from './host-confine.js';
import type { PinnedDirs } from './pinned-dirs.js';

/**
 * Asked with the path a request really reaches once symlinked directories are resolved (e.g. the
 * syscall's capability check), so a grant on one directory cannot be carried elsewhere by a link:
 * true lets it through; false refuses it (EPERM), a sentence refuses it with that sentence (EACCES:
 * a policy rule that holds on the real path).
 */
export type Authorize = (realVirtualPath: string) => boolean | string;

const openAsync = promisify(fs.open);

/** A lookup's context with the workspace's kept directories (null: every lookup walks from the root). */
export interface WalkContext extends ConfineContext {
  readonly pinned: PinnedDirs | null;
}

/** The directory `names` leads to: kept from an earlier walk while it is still there, else walked to (and kept). */
export async function dirInside(ctx: WalkContext, names: readonly string[], create: boolean): Promise<InsideDir> {
  const pinned = ctx.pinned;
  if (pinned === null || !ctx.procFd) return openDirInside(ctx, names, create);
  const key = names.join('/');
  let dir = pinned.take(key);
  if (dir === undefined) {
    const walked = await walkPinned(ctx, names, create);
    dir = pinned.put(key, walked.fd, walked.realPath, path.join(ctx.root, ...names));
  }
  const held = dir;
  return { base: procFdPath(held.fd), realPath: held.realPath, close: () => pinned.release(held) };
}

/**
 * The walk's context for a call that makes missing directories: each is asked of where it really
 * is before it is made, so a symlink on the way into a protected path (`ln -s ../src lnk`, then
 * FS_WRITE /lnk/new/x) makes nothing there, as the file itself is refused there.
 */
export function askingMakes<C extends WalkContext>(ctx: C, authorize: Authorize | undefined): C {
  return authorize ? { ...ctx, mayMake: (hostPath: string) => authorizeReal(ctx, { realPath: hostPath }, undefined, authorize) } : ctx;
}

/** Open `last` in the directory `names` leads to, looked up through that directory's pinned descriptor. */
export async function openBelow(
  ctx: WalkContext,
  names: readonly string[],
  last: string,
  flags: number,
  create: boolean,
  authorize: Authorize | undefined,
): Promise<{ fd: number; hostPath: string }> {
  const dir = await dirInside(create ? askingMakes(ctx, authorize) : ctx, names, create);
  try {
    authorizeReal(ctx, dir, last, authorize);
    const hostPath = path.join(dir.base, last);
    return { fd: await openName(hostPath, flags, ctx), hostPath };
  } finally {
    dir.close();
  }
}

/** A directory to list: its descriptor, where to read it by path, its fstat; `close` once listed. */
export interface ListedDir {
  readonly fd: number;
  readonly base: string;
  readonly stats: Stats;
  close(): void;
}

/**
 * The directory a list names, open and checked: the root, or `last` in the directory `names` leads
 * to, opened with `flags` (never following it); kept for the next list when it is a directory.
 */
export async function openListed(
  ctx: WalkContext,
  names: readonly string[],
  last: string | undefined,
  flags: number,
  authorize: Authorize | undefined,
): Promise<ListedDir> {
  const all = last === undefined ? names : [...names, last];
  const key = all.join('/');
  const kept = ctx.procFd ? ctx.pinned?.take(key) : undefined;
  if (kept !== undefined) {
    const release = () => ctx.pinned?.release(kept);
    try {
      if (last !== undefined) authorizeReal(ctx, kept, undefined, authorize);
      return { fd: kept.fd, base: procFdPath(kept.fd), stats: fs.fstatSync(kept.fd), close: release };
    } catch (error) {
      release();
      throw error;
    }
  }
  const { fd, hostPath } = last === undefined ? { fd: openExisting(ctx.root, flags, ctx), hostPath: ctx.root } : await openBelow(ctx, names, last, flags, false, authorize);
  try {
    if (!ctx.procFd) assertFdInside(ctx, fd, hostPath);
    const realPath = ctx.procFd ? realPathInside(ctx, fd) : hostPath;
    const stats = fs.fstatSync(fd);
    const close = () => fs.closeSync(fd);
    if (!ctx.procFd) return { fd, base: hostPath, stats, close };
    if (ctx.pinned === null || !stats.isDirectory()) return { fd, base: procFdPath(fd), stats, close };
    const dir = ctx.pinned.put(key, fd, realPath, path.join(ctx.root, ...all));
    const pinned = ctx.pinned;
    return { fd, base: procFdPath(fd), stats, close: () => pinned.release(dir) };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** The capability check on the path a request really reaches once symlinked directories are resolved. */
export function authorizeReal(ctx: ConfineContext, dir: { realPath: string }, last: string | undefined, authorize: Authorize | undefined): void {
  if (!authorize) return;
  const names = dir.realPath === ctx.root ? [] : path.relative(ctx.root, dir.realPath).split(path.sep);
  if (last !== undefined) names.push(last);
  const real = `/${names.join('/')}`;
  const answer = authorize(real);
  if (typeof answer === 'string') throw new AosError('EACCES', answer);
  if (!answer) {
    throw new AosError('EPERM', `${ctx.virtualPath} leads through a symlink to ${real}, which this process may not ${ctx.operation}`);
  }
}

/** Open a name; with O_CREAT, an existing file is opened without it and only a missing one is created (in the thread pool). */
export async function openName(hostPath: string, flags: number, ctx: ConfineContext): Promise<number> {
  if ((flags & constants.O_CREAT) === 0) return openExisting(hostPath, flags, ctx);
  try {
    return fs.openSync(hostPath, flags & ~constants.O_CREAT);
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'ENOENT') throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
  try {
    return await openAsync(hostPath, flags, 0o644);
  } catch (error) {
    throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
}

export function openExisting(hostPath: string, flags: number, ctx: ConfineContext): number {
  try {
    return fs.openSync(hostPath, flags);
  } catch (error) {
    throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
}
