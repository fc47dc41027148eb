/**
 * The workspace file-system driver. Agents see the workspace root as `/`; this is the sandbox
 * boundary, so every path is confined to root and results only ever name virtual paths.
 */
import { constants, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../errno.js';
import { encodeChunk, readChunk, writeAll } from './file-io.js';
import { notRegularError, toFsError, type FsOperation } from './fs-errors.js';
import { assertHandleInside, detectProcFd, directoryPathOf, type InsideDir, openDirInside, type ConfineContext } from './host-confine.js';
import { splitVirtualPath, toVirtualPath } from './virtual-path.js';
import { replaceableMode, writeAside } from './write-aside.js';

export interface WorkspaceFsOptions {
  root: string;
  maxReadBytes: number;
  maxWriteBytes: number;
  maxListEntries: number;
  maxPathLength: number;
}

/**
 * Asked with the path a request really reaches once symlinked directories are resolved (e.g. the
 * syscall's capability check), so a grant on one directory cannot be carried elsewhere by a link.
 */
export type Authorize = (realVirtualPath: string) => boolean;

export interface ReadResult {
  path: string;
  content: string;
  encoding: 'utf8' | 'base64';
  size: number;
  offset: number;
  /** Bytes returned; the next page starts at offset + bytes. */
  bytes: number;
  truncated: boolean;
}

export interface WriteResult {
  path: string;
  bytes: number;
}

export interface ListResult {
  path: string;
  entries: ListEntry[];
  truncated: boolean;
}

export interface ListEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
}

// O_NONBLOCK keeps a fifo from hanging the open; regular files ignore it.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class WorkspaceFs {
  private constructor(
    readonly root: string,
    private readonly options: WorkspaceFsOptions,
    private readonly procFd: boolean,
  ) {}

  /** Create the root if needed and pin it to its real path. */
  static async open(options: WorkspaceFsOptions): Promise<WorkspaceFs> {
    if (!constants.O_NOFOLLOW) throw new AosError('EIO', 'the workspace needs a platform with O_NOFOLLOW');
    for (const key of ['maxReadBytes', 'maxWriteBytes', 'maxListEntries', 'maxPathLength'] as const) {
      requireCount(options[key], key);
    }
    await fsp.mkdir(options.root, { recursive: true });
    const root = await fsp.realpath(options.root);
    return new WorkspaceFs(root, { ...options }, await detectProcFd(root));
  }

  async read(inputPath: string, opts: { offset?: number; length?: number; authorize?: Authorize } = {}): Promise<ReadResult> {
    const virtualPath = toVirtualPath(inputPath, this.options.maxPathLength);
    const offset = requireCount(opts.offset ?? 0, 'offset');
    const max = this.options.maxReadBytes;
    const limit = Math.min(requireCount(opts.length ?? max, 'length'), max);
    const { handle, stats } = await this.openFile(virtualPath, READ_FLAGS, 'read', opts.authorize);
    try {
      const chunk = await readChunk(handle, offset, Math.min(limit, Math.max(0, stats.size - offset)));
      const encoded = encodeChunk(chunk, offset + chunk.length < stats.size);
      const truncated = offset + encoded.bytes < stats.size;
      return { path: virtualPath, ...encoded, size: stats.size, offset, truncated };
    } catch (error) {
      throw toFsError(error, virtualPath, 'read');
    } finally {
      await handle.close();
    }
  }

  async write(inputPath: string, content: string, opts: { append?: boolean; authorize?: Authorize } = {}): Promise<WriteResult> {
    const virtualPath = toVirtualPath(inputPath, this.options.maxPathLength);
    if (typeof content !== 'string') throw new AosError('EINVAL', `content must be a string: ${virtualPath}`);
    const data = Buffer.from(content, 'utf8');
    if (data.length > this.options.maxWriteBytes) {
      const limit = this.options.maxWriteBytes;
      throw new AosError('EFBIG', `content is ${data.length} bytes, over the ${limit} byte limit: ${virtualPath}`);
    }
    if (opts.append === true) await this.append(virtualPath, data, opts.authorize);
    else await this.replace(virtualPath, data, opts.authorize);
    return { path: virtualPath, bytes: data.length };
  }

  /** Append in place; an append that fails half-way is cut back to the old size. */
  private async append(virtualPath: string, data: Buffer, authorize: Authorize | undefined): Promise<void> {
    const { handle, stats } = await this.openFile(virtualPath, WRITE_FLAGS | constants.O_APPEND, 'write', authorize);
    try {
      await writeAll(handle, data, null);
    } catch (error) {
      await handle.truncate(stats.size).catch(() => undefined);
      throw toFsError(error, virtualPath, 'write');
    } finally {
      await handle.close();
    }
  }

  /** New content goes beside the file and is renamed over it (write-aside.ts), inside the pinned directory. */
  private async replace(virtualPath: string, data: Buffer, authorize: Authorize | undefined): Promise<void> {
    const ctx = this.context(virtualPath, 'write');
    const names = splitVirtualPath(virtualPath);
    const last = names.pop();
    if (last === undefined) throw new AosError('EISDIR', `is a directory: ${virtualPath}`);
    const dir = await openDirInside(ctx, names, true);
    try {
      authorizeReal(ctx, dir, last, authorize);
      const target = path.join(dir.base, last);
      await writeAside(dir.base, target, data, await replaceableMode(target, virtualPath));
    } catch (error) {
      throw toFsError(error, virtualPath, 'write');
    } finally {
      await dir.close();
    }
  }

  async list(inputPath = '/', opts: { authorize?: Authorize } = {}): Promise<ListResult> {
    const virtualPath = toVirtualPath(inputPath, this.options.maxPathLength);
    const ctx = this.context(virtualPath, 'list');
    const names = splitVirtualPath(virtualPath);
    const last = names.pop();
    const { handle, hostPath } =
      last === undefined
        ? { handle: await openHandle(this.root, READ_FLAGS, ctx), hostPath: this.root }
        : await openBelow(ctx, names, last, READ_FLAGS, false, opts.authorize);
    try {
      await assertHandleInside(ctx, handle, hostPath);
      if (!(await handle.stat()).isDirectory()) throw new AosError('ENOTDIR', `not a directory: ${virtualPath}`);
      const dirPath = directoryPathOf(ctx, handle, hostPath);
      const all = (await fsp.readdir(dirPath)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const kept = all.slice(0, this.options.maxListEntries);
      const entries = await Promise.all(kept.map((name) => describeEntry(dirPath, name)));
      const present = entries.filter((entry): entry is ListEntry => entry !== null);
      return { path: virtualPath, entries: present, truncated: all.length > kept.length };
    } catch (error) {
      throw toFsError(error, virtualPath, 'list');
    } finally {
      await handle.close();
    }
  }

  /** Open the final name without following it, then check place, type and link count on the fd. */
  private async openFile(
    virtualPath: string,
    flags: number,
    operation: FsOperation,
    authorize: Authorize | undefined,
  ): Promise<{ handle: FileHandle; stats: Stats }> {
    const ctx = this.context(virtualPath, operation);
    const names = splitVirtualPath(virtualPath);
    const last = names.pop();
    if (last === undefined) throw new AosError('EISDIR', `is a directory: ${virtualPath}`);
    const { handle, hostPath } = await openBelow(ctx, names, last, flags, operation === 'write', authorize);
    try {
      await assertHandleInside(ctx, handle, hostPath);
      const stats = await handle.stat();
      if (stats.isDirectory()) throw new AosError('EISDIR', `is a directory: ${virtualPath}`);
      if (!stats.isFile()) throw notRegularError(virtualPath);
      // A second name may live outside the workspace, so the content is not the workspace's to share.
      if (stats.nlink > 1) throw new AosError('EACCES', `hard-linked file: ${virtualPath}`);
      return { handle, stats };
    } catch (error) {
      await handle.close();
      throw toFsError(error, virtualPath, operation);
    }
  }

  private context(virtualPath: string, operation: FsOperation): ConfineContext {
    return { root: this.root, procFd: this.procFd, virtualPath, operation };
  }
}

/** Open `last` in the directory `names` leads to, looked up through that directory's pinned descriptor. */
async function openBelow(
  ctx: ConfineContext,
  names: readonly string[],
  last: string,
  flags: number,
  create: boolean,
  authorize: Authorize | undefined,
): Promise<{ handle: FileHandle; hostPath: string }> {
  const dir = await openDirInside(ctx, names, create);
  try {
    authorizeReal(ctx, dir, last, authorize);
    const hostPath = path.join(dir.base, last);
    return { handle: await openHandle(hostPath, flags, ctx), hostPath };
  } finally {
    await dir.close();
  }
}

/** The capability check on the path a request really reaches once symlinked directories are resolved. */
function authorizeReal(ctx: ConfineContext, dir: InsideDir, last: string, authorize: Authorize | undefined): void {
  const real = [...path.relative(ctx.root, dir.realPath).split(path.sep).filter(Boolean), last].join('/');
  if (authorize && !authorize(`/${real}`)) {
    throw new AosError('EPERM', `${ctx.virtualPath} leads through a symlink to /${real}, which this process may not ${ctx.operation}`);
  }
}

async function openHandle(hostPath: string, flags: number, ctx: ConfineContext): Promise<FileHandle> {
  try {
    return await fsp.open(hostPath, flags, 0o644);
  } catch (error) {
    throw toFsError(error, ctx.virtualPath, ctx.operation);
  }
}

async function describeEntry(dirPath: string, name: string): Promise<ListEntry | null> {
  let stats: Stats;
  try {
    stats = await fsp.lstat(path.join(dirPath, name));
  } catch {
    return null; // removed while listing
  }
  if (stats.isSymbolicLink()) return { name, type: 'symlink', size: 0 };
  if (stats.isDirectory()) return { name, type: 'dir', size: 0 };
  if (stats.isFile()) return { name, type: 'file', size: stats.size };
  return { name, type: 'other', size: 0 };
}

function requireCount(value: number, label: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new AosError('EINVAL', `${label} must be a non-negative integer`);
  return value;
}
