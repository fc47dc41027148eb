/**
 * Opening a name of the workspace: the pinned walk to its directory (host-confine.ts), or that
 * directory still open from an earlier walk (PinnedDirs), the capability check on where it really
 * is, then the final name, never followed. And, for the journal, whether a name is plainly absent
 * (plainlyAbsent), said without opening anything.
 *
 * A warm call runs no code of the walk: a kept directory is named by the procfs path it was given
 * when kept, and a name's absence is asked of the host without a descriptor.
 *
 * Kept directories (PinnedDirs): a directory a walk already pinned stays open for the next call
 * that names it, so a hit costs one readlink of the descriptor instead of a walk from the root (an
 * open per step, a readlink, closes). A descriptor follows its directory wherever it goes, so an
 * entry is only used while its procfs link still reads the very path it was pinned at. Only walks
 * that met no symlink are kept, so that path is the virtual one spelt out below root: a directory
 * renamed, moved out of the workspace, removed, or swapped for a symlink reads differently and is
 * dropped (and walked again). The check and the use are as far apart as the last step of a fresh
 * walk and its use, so the guarantee is the walk's: nothing opened or created outside root.
 * Callers hold an entry across thread-pool I/O on its procfs path (`/proc/<pid>/fd/N/...`); its
 * descriptor is closed only once no caller holds it, so that number is never reused under them.
 */
import fs, { constants, type Stats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BoundedMap } from '../../sys/bounded-map.js';
import { AosError } from '../../sys/errno.js';
import {
  assertFdInside,
  type ConfineContext,
  type InsideDir,
  openDirInside,
  procFdPath,
  realPathInside,
  walkPinned,
} from './host-confine.js';
import { toFsError } from './virtual-path.js';

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
  return { base: held.base, realPath: held.realPath, close: () => pinned.release(held) };
}

/**
 * The walk's context for a call that makes missing directories: each is asked of where it really
 * is before it is made, so a symlink on the way into a protected path (`ln -s ../src lnk`, then
 * FS_WRITE /lnk/new/x) makes nothing there, as the file itself is refused there.
 */
export function askingMakes<C extends WalkContext>(ctx: C, authorize: Authorize | undefined): C {
  return authorize
    ? { ...ctx, mayMake: (hostPath: string) => authorizeReal(ctx, { realPath: hostPath }, undefined, authorize) }
    : ctx;
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
      return { fd: kept.fd, base: kept.base, stats: fs.fstatSync(kept.fd), close: release };
    } catch (error) {
      release();
      throw error;
    }
  }
  const { fd, hostPath } =
    last === undefined
      ? { fd: openExisting(ctx.root, flags, ctx), hostPath: ctx.root }
      : await openBelow(ctx, names, last, flags, false, authorize);
  try {
    if (!ctx.procFd) assertFdInside(ctx, fd, hostPath);
    const realPath = ctx.procFd ? realPathInside(ctx, fd) : hostPath;
    const stats = fs.fstatSync(fd);
    const close = () => fs.closeSync(fd);
    if (!ctx.procFd) return { fd, base: hostPath, stats, close };
    if (ctx.pinned === null || !stats.isDirectory()) return { fd, base: procFdPath(fd), stats, close };
    const dir = ctx.pinned.put(key, fd, realPath, path.join(ctx.root, ...all));
    const pinned = ctx.pinned;
    return { fd, base: dir.base, stats, close: () => pinned.release(dir) };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** The capability check on the path a request really reaches once symlinked directories are resolved. */
export function authorizeReal(
  ctx: ConfineContext,
  dir: { realPath: string },
  last: string | undefined,
  authorize: Authorize | undefined,
): void {
  if (!authorize) return;
  const names = dir.realPath === ctx.root ? [] : path.relative(ctx.root, dir.realPath).split(path.sep);
  if (last !== undefined) names.push(last);
  const real = `/${names.join('/')}`;
  const answer = authorize(real);
  if (typeof answer === 'string') throw new AosError('EACCES', answer);
  if (!answer) {
    throw new AosError(
      'EPERM',
      `${ctx.virtualPath} leads through a symlink to ${real}, which this process may not ${ctx.operation}`,
    );
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

/** A workspace root's real path, asked once. */
const realRoots = new Map<string, string>();

/**
 * Whether `virtualPath` names nothing, said without the confined walk's error: a name absent from a
 * parent reached without a link on the way is absent for the walk too, which follows none. A link on
 * the way (the parent's real path is elsewhere) answers false: the walk decides, and refuses it.
 */
export function plainlyAbsent(root: string, virtualPath: string): boolean {
  const host = path.join(root, virtualPath);
  if (fs.lstatSync(host, { throwIfNoEntry: false }) !== undefined) return false;
  let real = realRoots.get(root);
  if (real === undefined) realRoots.set(root, (real = fs.realpathSync.native(root)));
  try {
    return fs.realpathSync.native(path.dirname(host)) === path.resolve(real, `.${path.dirname(virtualPath)}`);
  } catch {
    return false;
  }
}

// ---- directories kept open between calls ----

/** An open directory; `release` once done with it. */
export interface PinnedDir {
  readonly fd: number;
  /** Its procfs path (procFdPath), named once when it is kept: what lookups in it go through. */
  readonly base: string;
  readonly realPath: string;
  users: number;
  /** Out of the cache: closed when the last user releases it. */
  dropped: boolean;
}

export class PinnedDirs {
  private readonly dirs: BoundedMap<string, PinnedDir>;

  constructor(private readonly max: number) {
    this.dirs = new BoundedMap(max, (dir) => this.drop(dir));
  }

  get size(): number {
    return this.dirs.size;
  }

  /** The directory kept for `key`, taken for use, if it is still at the path it was pinned at. */
  take(key: string): PinnedDir | undefined {
    const dir = this.dirs.get(key);
    if (dir === undefined) return undefined;
    let now: string | null;
    try {
      now = fs.readlinkSync(dir.base);
    } catch {
      now = null;
    }
    if (now !== dir.realPath) {
      this.dirs.delete(key);
      this.drop(dir);
      return undefined;
    }
    dir.users++;
    return dir;
  }

  /**
   * Keep `fd` (a directory a walk pinned at `realPath`) for `key`, and hand it back taken. It is
   * only kept when `realPath` is `expected`, the walk's names spelt out below root (no symlink on
   * the way); otherwise it is the caller's alone and closed at its release.
   */
  put(key: string, fd: number, realPath: string, expected: string): PinnedDir {
    const dir: PinnedDir = { fd, base: procFdPath(fd), realPath, users: 1, dropped: true };
    // A removed directory's link reads "<path> (deleted)": never keep a path that could read like one.
    if (this.max === 0 || realPath !== expected || realPath.endsWith(' (deleted)')) return dir;
    const old = this.dirs.get(key);
    if (old !== undefined) {
      this.dirs.delete(key);
      this.drop(old);
    }
    dir.dropped = false;
    this.dirs.set(key, dir); // the least recently used past max is dropped
    return dir;
  }

  release(dir: PinnedDir): void {
    dir.users--;
    if (dir.dropped && dir.users === 0) fs.closeSync(dir.fd);
  }

  /** Close every descriptor no one holds; the held ones close at their release. */
  clear(): void {
    for (const dir of this.dirs.values()) this.drop(dir);
    this.dirs.clear();
  }

  private drop(dir: PinnedDir): void {
    dir.dropped = true;
    if (dir.users === 0) fs.closeSync(dir.fd);
  }
}
