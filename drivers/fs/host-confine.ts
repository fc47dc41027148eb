/**
 * Keeping host I/O inside the workspace root: walk directories with realpath, open the final
 * name without following it, then check where the opened descriptor really is.
 */
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { escapeError, toFsError, type FsOperation } from './fs-errors.js';

/** True when hostPath is root or below it (`/ws/a1` is not inside `/ws/a`). */
export function isInsideRoot(root: string, hostPath: string): boolean {
  if (hostPath === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return hostPath.startsWith(prefix);
}

/** The path that names an open descriptor itself (Linux procfs). */
export function procFdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
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
}

/**
 * Resolve directory names below root one at a time, creating missing ones when asked.
 * Each step is realpath'd and checked, so a symlink anywhere that leads outside is refused.
 */
export async function resolveDirInside(ctx: ConfineContext, names: readonly string[], create: boolean): Promise<string> {
  let current = ctx.root;
  for (const name of names) {
    const candidate = path.join(current, name);
    try {
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
  /** Prefix for names in this directory: its /proc/self/fd path when pinned, else its checked host path. */
  readonly base: string;
  /** Where the directory really is on the host (inside root), symlinks resolved. */
  readonly realPath: string;
  close(): Promise<void>;
}

/**
 * resolveDirInside, pinned: with procfs every step is opened, checked on its descriptor, and the next
 * name (and any mkdir) goes through that descriptor. Between a path check and the use of that path
 * a directory can be swapped for a symlink out; a descriptor cannot, so nothing is ever created or
 * opened outside root.
 */
export async function openDirInside(ctx: ConfineContext, names: readonly string[], create: boolean): Promise<InsideDir> {
  if (!ctx.procFd) {
    const hostPath = await resolveDirInside(ctx, names, create);
    return { base: hostPath, realPath: hostPath, close: async () => undefined };
  }
  let dir = await openDirectory(ctx, ctx.root);
  try {
    for (const name of names) {
      const candidate = path.join(procFdPath(dir.fd), name);
      if (create) await mkdirInside(ctx, candidate);
      const next = await openDirectory(ctx, candidate);
      const previous = dir;
      dir = next;
      await previous.close();
      await assertHandleInside(ctx, dir, candidate);
    }
    const held = dir;
    const realPath = names.length === 0 ? ctx.root : await realPathOf(ctx, held);
    return { base: procFdPath(held.fd), realPath, close: () => held.close() };
  } catch (error) {
    await dir.close();
    throw error;
  }
}

async function realPathOf(ctx: ConfineContext, handle: FileHandle): Promise<string> {
  const real = await fsp.readlink(procFdPath(handle.fd)).catch(() => null);
  if (real === null || !isInsideRoot(ctx.root, real)) throw escapeError(ctx.virtualPath);
  return real;
}

async function mkdirInside(ctx: ConfineContext, hostPath: string): Promise<void> {
  try {
    await mkdirIfMissing(hostPath);
  } catch (error) {
    throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
}

async function openDirectory(ctx: ConfineContext, hostPath: string): Promise<FileHandle> {
  try {
    return await fsp.open(hostPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NONBLOCK);
  } catch (error) {
    throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
}

/** Refuse an opened handle that is not inside root (a directory swapped for a symlink mid-walk). */
export async function assertHandleInside(ctx: ConfineContext, handle: FileHandle, hostPath: string): Promise<void> {
  let inside: boolean;
  try {
    inside = ctx.procFd
      ? isInsideRoot(ctx.root, await fsp.readlink(procFdPath(handle.fd)))
      : await sameFileInside(ctx, handle, hostPath);
  } catch {
    inside = false;
  }
  if (!inside) throw escapeError(ctx.virtualPath);
}

/** Where to read an open directory by path: the fd itself when procfs allows, else its checked host path. */
export function directoryPathOf(ctx: ConfineContext, handle: FileHandle, hostPath: string): string {
  return ctx.procFd ? procFdPath(handle.fd) : hostPath;
}

// Without procfs: the name must still resolve inside root and to the very inode we opened.
async function sameFileInside(ctx: ConfineContext, handle: FileHandle, hostPath: string): Promise<boolean> {
  const [opened, named, real] = await Promise.all([handle.stat(), fsp.lstat(hostPath), fsp.realpath(hostPath)]);
  return opened.dev === named.dev && opened.ino === named.ino && isInsideRoot(ctx.root, real);
}

async function mkdirIfMissing(hostPath: string): Promise<void> {
  try {
    await fsp.mkdir(hostPath, { mode: 0o755 });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'EEXIST') throw error;
  }
}
