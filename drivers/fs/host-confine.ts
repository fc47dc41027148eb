/**
 * Keeping host I/O inside the workspace root: walk directories one descriptor at a time, open the
 * final name without following it, then check where the opened descriptor really is.
 *
 * Lookups (open of what exists, readlink, fstat, close) are synchronous: each is a few µs from the
 * inode cache, against ~20 µs of CPU for a thread-pool round trip, and a call makes several in a
 * chain. What changes a directory (mkdir, create, rename) can wait on the file system's journal for
 * milliseconds, so it goes through the thread pool and never stalls the other processes.
 */
import fs, { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { escapeError, toFsError, type FsOperation } from './virtual-path.js';

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NONBLOCK;

/** True when hostPath is root or below it (`/ws/a1` is not inside `/ws/a`). */
export function isInsideRoot(root: string, hostPath: string): boolean {
  if (hostPath === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return hostPath.startsWith(prefix);
}

/**
 * This process's descriptors in procfs: /proc/<pid>/fd when /proc/self is this very pid (the same
 * pid namespace), else /proc/self/fd. Resolving the `self` symlink first makes every lookup through
 * a descriptor (each name a list stats, every open and readlink) ~15% dearer.
 */
const PROC_FD = ((): string => {
  try {
    if (fs.readlinkSync('/proc/self') === String(process.pid)) return `/proc/${process.pid}/fd/`;
  } catch {
    // no procfs: detectProcFd says so
  }
  return '/proc/self/fd/';
})();

/** The path that names an open descriptor itself (Linux procfs). */
export function procFdPath(fd: number): string {
  return PROC_FD + fd;
}

/** Whether /proc/self/fd reports where a descriptor really lives, so checks can use the fd. */
export async function detectProcFd(root: string): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(root, constants.O_RDONLY | constants.O_DIRECTORY);
    return (await fsp.readlink(procFdPath(handle.fd))) === root;
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

export interface ConfineContext {
  readonly root: string;
  readonly procFd: boolean;
  readonly virtualPath: string;
  readonly operation: FsOperation;
  /** Asked before a walk makes a missing directory, with the host path it would really have: throws to refuse. */
  readonly mayMake?: (hostPath: string) => void;
}

/**
 * Without procfs: resolve directory names below root one at a time, creating missing ones when
 * asked. Each step is realpath'd and checked, so a symlink anywhere that leads outside is refused.
 */
export async function resolveDirInside(
  ctx: ConfineContext,
  names: readonly string[],
  create: boolean,
): Promise<string> {
  let current = ctx.root;
  for (const name of names) {
    const candidate = path.join(current, name);
    try {
      if (create && !fs.existsSync(candidate)) ctx.mayMake?.(candidate);
      if (create) await mkdirIfMissing(candidate);
      current = await fsp.realpath(candidate);
    } catch (error) {
      throw toFsError(error, ctx.virtualPath, ctx.operation);
    }
    if (!isInsideRoot(ctx.root, current)) throw escapeError(ctx.virtualPath);
  }
  return current;
}

/** A directory inside root, held open so names below it are looked up in it, not by a path that may change. */
export interface InsideDir {
  /** Prefix for names in this directory: its procfs path (procFdPath) when pinned, else its checked host path. */
  readonly base: string;
  /** Where the directory really is on the host (inside root), symlinks resolved. */
  readonly realPath: string;
  close(): void;
}

/**
 * The directory `names` leads to, pinned: with procfs every step is opened, checked on its
 * descriptor, and the next name (and any mkdir) goes through that descriptor. Between a path check
 * and the use of that path a directory can be swapped for a symlink out; a descriptor cannot, so
 * nothing is ever created or opened outside root.
 */
export async function openDirInside(
  ctx: ConfineContext,
  names: readonly string[],
  create: boolean,
): Promise<InsideDir> {
  if (!ctx.procFd) {
    const hostPath = await resolveDirInside(ctx, names, create);
    return { base: hostPath, realPath: hostPath, close: () => undefined };
  }
  const { fd, realPath } = await walkPinned(ctx, names, create);
  return { base: procFdPath(fd), realPath, close: () => fs.closeSync(fd) };
}

/** openDirInside's walk (procfs only): the open descriptor of the directory `names` leads to, and where it really is. */
export async function walkPinned(
  ctx: ConfineContext,
  names: readonly string[],
  create: boolean,
): Promise<{ fd: number; realPath: string }> {
  let fd = openDirectory(ctx, ctx.root);
  let realPath = ctx.root;
  try {
    for (const name of names) {
      const candidate = path.join(procFdPath(fd), name);
      const next = create
        ? await openOrMakeDirectory(ctx, candidate, path.join(realPath, name))
        : openDirectory(ctx, candidate);
      fs.closeSync(fd);
      fd = next;
      realPath = realPathInside(ctx, fd);
    }
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  return { fd, realPath };
}

/** Where an open descriptor really is; refused unless inside root (procfs only). */
export function realPathInside(ctx: ConfineContext, fd: number): string {
  let real: string | null;
  try {
    real = fs.readlinkSync(procFdPath(fd));
  } catch {
    real = null;
  }
  if (real === null || !isInsideRoot(ctx.root, real)) throw escapeError(ctx.virtualPath);
  return real;
}

// Made only when missing: an mkdir that finds the name still locks the parent on the host. `real`: where it would really be.
async function openOrMakeDirectory(ctx: ConfineContext, hostPath: string, real: string): Promise<number> {
  try {
    return fs.openSync(hostPath, DIR_FLAGS);
  } catch (error) {
    if (nodeCode(error) !== 'ENOENT') throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
  ctx.mayMake?.(real);
  try {
    await mkdirIfMissing(hostPath);
  } catch (error) {
    throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
  return openDirectory(ctx, hostPath);
}

function openDirectory(ctx: ConfineContext, hostPath: string): number {
  try {
    return fs.openSync(hostPath, DIR_FLAGS);
  } catch (error) {
    throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
}

/** Refuse an opened descriptor that is not inside root (a directory swapped for a symlink mid-walk). */
export function assertFdInside(ctx: ConfineContext, fd: number, hostPath: string): void {
  let inside: boolean;
  try {
    inside = ctx.procFd ? isInsideRoot(ctx.root, fs.readlinkSync(procFdPath(fd))) : sameFileInside(ctx, fd, hostPath);
  } catch {
    inside = false;
  }
  if (!inside) throw escapeError(ctx.virtualPath);
}

/** assertFdInside for a FileHandle, as a promise. */
export async function assertHandleInside(ctx: ConfineContext, handle: FileHandle, hostPath: string): Promise<void> {
  assertFdInside(ctx, handle.fd, hostPath);
}

// Without procfs: the name must still resolve inside root and to the very inode we opened.
function sameFileInside(ctx: ConfineContext, fd: number, hostPath: string): boolean {
  const opened = fs.fstatSync(fd);
  const named = fs.lstatSync(hostPath);
  return (
    opened.dev === named.dev && opened.ino === named.ino && isInsideRoot(ctx.root, fs.realpathSync.native(hostPath))
  );
}

async function mkdirIfMissing(hostPath: string): Promise<void> {
  try {
    await fsp.mkdir(hostPath, { mode: 0o755 });
  } catch (error) {
    if (nodeCode(error) !== 'EEXIST') throw error;
  }
}

function nodeCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}
