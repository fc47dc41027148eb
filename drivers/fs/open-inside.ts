/**
 * Opening a name of the workspace: the pinned walk to its directory (host-confine.ts), the
 * capability check on where that walk really led, then the final name, never followed.
 */
import fs, { constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AosError } from '../../kernel/errno.js';
import { toFsError } from './fs-errors.js';
import { type ConfineContext, type InsideDir, openDirInside } from './host-confine.js';

/**
 * Asked with the path a request really reaches once symlinked directories are resolved (e.g. the
 * syscall's capability check), so a grant on one directory cannot be carried elsewhere by a link.
 */
export type Authorize = (realVirtualPath: string) => boolean;

const openAsync = promisify(fs.open);

/** Open `last` in the directory `names` leads to, looked up through that directory's pinned descriptor. */
export async function openBelow(
  ctx: ConfineContext,
  names: readonly string[],
  last: string,
  flags: number,
  create: boolean,
  authorize: Authorize | undefined,
): Promise<{ fd: number; hostPath: string }> {
  const dir = await openDirInside(ctx, names, create);
  try {
    authorizeReal(ctx, dir, last, authorize);
    const hostPath = path.join(dir.base, last);
    return { fd: await openName(hostPath, flags, ctx), hostPath };
  } finally {
    dir.close();
  }
}

/** The capability check on the path a request really reaches once symlinked directories are resolved. */
export function authorizeReal(ctx: ConfineContext, dir: InsideDir, last: string, authorize: Authorize | undefined): void {
  if (!authorize) return;
  const real = dir.realPath === ctx.root ? `/${last}` : `/${[...path.relative(ctx.root, dir.realPath).split(path.sep), last].join('/')}`;
  if (!authorize(real)) {
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
