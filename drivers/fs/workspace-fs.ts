/**
 * The workspace file-system driver, the sandbox boundary: agents see its root as `/`, every path is confined to it and
 * results name only virtual paths. Lookups run synchronously; a write's create and rename too while they are fast
 * (file-io.ts DirChanges).
 */
import fs, { constants, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { ListResult, ReadResult, WriteResult } from '../../sys/driver-api.js';
import { AosError } from '../../sys/errno.js';
import * as io from './file-io.js';
import { assertFdInside, detectProcFd, type InsideDir } from './host-confine.js';
import { listEntries } from './list-entries.js';
import {
  askingMakes,
  type Authorize,
  authorizeReal,
  dirInside,
  openBelow,
  openListed,
  PinnedDirs,
  plainlyAbsent,
  type WalkContext,
} from './open-inside.js';
import {
  dirAndName,
  type FsOperation,
  notRegularError,
  splitVirtualPath,
  toFsError,
  toVirtualPath,
} from './virtual-path.js';
import { requireCount, resolveOptions, type WorkspaceFsOptions } from './workspace-options.js';
import { beforeRemove, beforeWrite, realVirtualPath, running } from '../fs-held.js';
import { rewrite } from './rewrite-in-place.js';

export type { ListEntry } from './list-entries.js';
export type { Authorize } from './open-inside.js';
export type { WorkspaceFsOptions } from './workspace-options.js';
export type { ListResult, ReadResult, WriteResult } from '../../sys/driver-api.js';

// O_NONBLOCK keeps a fifo from hanging the open; regular files ignore it.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const OPEN_FLAGS = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE_FLAGS = OPEN_FLAGS | constants.O_CREAT;
const APPEND = constants.O_APPEND;

export class WorkspaceFs {
  private readonly pinned: PinnedDirs | null;
  /** Whether a write's create and rename run synchronously, as they fare on this workspace (file-io.ts DirChanges). */
  readonly dirChanges: io.DirChanges;

  private constructor(
    readonly root: string,
    private readonly options: Required<WorkspaceFsOptions>,
    private readonly procFd: boolean,
  ) {
    this.pinned = procFd && options.keptDirs > 0 ? new PinnedDirs(options.keptDirs) : null;
    this.dirChanges = new io.DirChanges(options.syncDirChangeMs);
  }

  /** Create the root if needed and pin it to its real path. */
  static async open(options: WorkspaceFsOptions): Promise<WorkspaceFs> {
    if (!constants.O_NOFOLLOW) throw new AosError('EIO', 'the workspace needs a platform with O_NOFOLLOW');
    const all = resolveOptions(options);
    await fsp.mkdir(options.root, { recursive: true });
    const root = await fsp.realpath(options.root);
    return new WorkspaceFs(root, all, await detectProcFd(root));
  }

  async read(
    inputPath: string,
    opts: { offset?: number; length?: number; authorize?: Authorize } = {},
  ): Promise<ReadResult> {
    const virtualPath = toVirtualPath(inputPath, this.options.maxPathLength);
    const offset = requireCount(opts.offset ?? 0, 'offset');
    const max = this.options.maxReadBytes;
    const limit = Math.min(requireCount(opts.length ?? max, 'length'), max);
    const { fd, stats } = await this.openFile(virtualPath, READ_FLAGS, 'read', opts.authorize);
    try {
      const chunk = await io.readChunk(
        fd,
        offset,
        Math.min(limit, Math.max(0, stats.size - offset)),
        this.options.syncIoBytes,
      );
      const encoded = io.encodeChunk(chunk, offset + chunk.length < stats.size);
      const truncated = offset + encoded.bytes < stats.size;
      return { path: virtualPath, ...encoded, size: stats.size, offset, truncated };
    } catch (error) {
      throw toFsError(error, virtualPath, 'read');
    } finally {
      fs.closeSync(fd);
    }
  }

  async write(
    inputPath: string,
    content: string,
    opts: { append?: boolean; authorize?: Authorize } = {},
  ): Promise<WriteResult> {
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

  /**
   * A file's content for the rollback journal, opened like any read — never through a symlink out
   * of the workspace: null when nothing is there, undefined when what is there cannot be kept.
   */
  async contentOf(inputPath: string, max: number): Promise<Buffer | null | undefined> {
    const virtualPath = toVirtualPath(inputPath, this.options.maxPathLength);
    // Most writes make a new file: said without the confined walk's error (a link on the way takes the walk).
    if (plainlyAbsent(this.root, virtualPath)) return null;
    let opened: { fd: number; stats: Stats };
    try {
      opened = await this.openFile(virtualPath, READ_FLAGS, 'read', undefined);
    } catch (error) {
      return error instanceof AosError && error.code === 'ENOENT' ? null : undefined;
    }
    try {
      // The size is the fstat openFile made: read that much rather than have readFileSync fstat again.
      return opened.stats.size > max
        ? undefined
        : await io.readChunk(opened.fd, 0, opened.stats.size, this.options.syncIoBytes);
    } finally {
      fs.closeSync(opened.fd);
    }
  }

  /** Put a file back as the journal had it (a rollback): its old bytes written aside like any write, or its name removed. */
  async restore(inputPath: string, content: Buffer | null): Promise<'restored' | 'removed'> {
    const virtualPath = toVirtualPath(inputPath, this.options.maxPathLength);
    if (content !== null) {
      await this.replace(virtualPath, content, undefined);
      return 'restored';
    }
    const { names, last } = dirAndName(virtualPath);
    let dir: InsideDir;
    try {
      dir = await dirInside(this.context(virtualPath, 'write'), names, false);
    } catch (error) {
      if (error instanceof AosError && error.code === 'ENOENT') return 'removed';
      throw error;
    }
    try {
      if (running.size > 0) await beforeRemove(virtualPath, realVirtualPath(this.root, dir.realPath, last), dir.base);
      // Unlinks the name in the pinned directory: a symlink goes, never what it points to.
      fs.rmSync(path.join(dir.base, last), { force: true });
    } catch (error) {
      throw toFsError(error, virtualPath, 'write');
    } finally {
      dir.close();
    }
    return 'removed';
  }

  /** Append in place; an append that fails half-way is cut back to the old size. */
  private async append(virtualPath: string, data: Buffer, authorize: Authorize | undefined): Promise<void> {
    // While a sandbox runs a new name is checked before it is made (../fs-held.ts): made as a write is, if still new.
    const held = running.size > 0;
    let opened: { fd: number; stats: Stats };
    try {
      opened = await this.openFile(virtualPath, (held ? OPEN_FLAGS : WRITE_FLAGS) | APPEND, 'write', authorize);
    } catch (error) {
      if (!held || !(error instanceof AosError) || error.code !== 'ENOENT') throw error;
      try {
        return await this.replace(virtualPath, data, authorize, true);
      } catch (made) {
        // Made by another meanwhile: appended to, as it would have been.
        if (!(made instanceof AosError) || made.code !== 'EEXIST') throw made;
        return await this.append(virtualPath, data, authorize);
      }
    }
    const { fd, stats } = opened;
    try {
      // What a running sandbox would see is not written (../fs-held.ts), by its real name too (once open).
      if (running.size > 0) {
        // Without procfs, the name as opened: its symlinks resolved (a race the fallback has everywhere).
        const real = this.procFd
          ? fs.readlinkSync(`/proc/self/fd/${fd}`)
          : fs.realpathSync(path.join(this.root, virtualPath));
        const named = `/${path.relative(this.root, real).split(path.sep).join('/')}`;
        await beforeWrite(virtualPath, named, true, path.dirname(real), stats);
      }
      await io.writeAll(fd, data, null, this.options.syncIoBytes);
    } catch (error) {
      io.cutBack(fd, stats.size);
      throw toFsError(error, virtualPath, 'write');
    } finally {
      fs.closeSync(fd);
    }
  }

  /** New content goes aside and is renamed over it (file-io.ts), but for what a running sandbox holds (../fs-held.ts). */
  private async replace(
    virtualPath: string,
    data: Buffer,
    authorize: Authorize | undefined,
    fresh = false,
  ): Promise<void> {
    const ctx = this.context(virtualPath, 'write');
    const { names, last } = dirAndName(virtualPath);
    const dir = await dirInside(askingMakes(ctx, authorize), names, true);
    try {
      authorizeReal(ctx, dir, last, authorize);
      const target = path.join(dir.base, last);
      // Looked at once: the decision below and the in-place write are about this very file.
      const seen = running.size > 0 ? fs.lstatSync(target, { throwIfNoEntry: false }) : undefined;
      const there = seen !== undefined;
      const real = running.size > 0 ? realVirtualPath(this.root, dir.realPath, last) : '';
      const how = running.size > 0 ? await beforeWrite(virtualPath, real, there, dir.base, seen) : 'aside';
      if (how === 'in place' && seen) return await rewrite(target, virtualPath, data, this.options.syncIoBytes, seen);
      // Decided and begun in one step: a sandbox that begins to plan from now waits for its rename (../fs-held.ts).
      if (fresh && there) throw Object.assign(new Error('made meanwhile'), { code: 'EEXIST' });
      const mode = io.replaceableMode(target, virtualPath);
      const syncBytes = this.options.syncIoBytes;
      await io.writeAside({ dirBase: dir.base, target, data, mode, syncBytes, fresh, changes: this.dirChanges });
    } catch (error) {
      throw toFsError(error, virtualPath, 'write');
    } finally {
      dir.close();
    }
  }

  async list(inputPath = '/', opts: { authorize?: Authorize } = {}): Promise<ListResult> {
    const virtualPath = toVirtualPath(inputPath, this.options.maxPathLength);
    const ctx = this.context(virtualPath, 'list');
    const names = splitVirtualPath(virtualPath);
    const last = names.pop();
    const dir = await openListed(ctx, names, last, READ_FLAGS, opts.authorize);
    try {
      if (!dir.stats.isDirectory()) throw new AosError('ENOTDIR', `not a directory: ${virtualPath}`);
      const sync = this.options.syncDirBytes > 0 && dir.stats.size <= this.options.syncDirBytes;
      const { entries, truncated } = await listEntries(dir.base, this.options.maxListEntries, sync);
      return { path: virtualPath, entries, truncated };
    } catch (error) {
      throw toFsError(error, virtualPath, 'list');
    } finally {
      dir.close();
    }
  }

  /** Open the final name without following it, then check place, type and link count on the fd. */
  private async openFile(
    virtualPath: string,
    flags: number,
    operation: FsOperation,
    authorize: Authorize | undefined,
  ): Promise<{ fd: number; stats: Stats }> {
    const ctx = this.context(virtualPath, operation);
    const { names, last } = dirAndName(virtualPath);
    const { fd, hostPath } = await openBelow(ctx, names, last, flags, operation === 'write', authorize);
    try {
      assertFdInside(ctx, fd, hostPath);
      const stats = fs.fstatSync(fd);
      io.requireRegular(stats, virtualPath);
      return { fd, stats };
    } catch (error) {
      fs.closeSync(fd);
      throw toFsError(error, virtualPath, operation);
    }
  }

  /**
   * Make a directory and its parents, walked as every lookup is: a symlink on the way is refused,
   * never followed (exec's write grants and working directory are made through here).
   */
  async makeDir(inputPath: string): Promise<void> {
    const virtualPath = toVirtualPath(inputPath, this.options.maxPathLength);
    const named = virtualPath === '/' ? this.root : path.join(this.root, virtualPath);
    const ctx = this.context(virtualPath, 'write');
    // Each directory made, and the one reached, must be on the path named: nothing made where a link leads.
    const onPath = (host: string): void => {
      if (host !== named && !named.startsWith(`${host}/`))
        throw new AosError('EACCES', `${virtualPath} passes through a symbolic link: not made`);
    };
    const dir = await dirInside({ ...ctx, mayMake: onPath }, splitVirtualPath(virtualPath), true);
    try {
      onPath(dir.realPath);
    } finally {
      dir.close();
    }
  }

  /** Close the directories kept open between calls (those in use close when their call ends). */
  close(): void {
    this.pinned?.clear();
  }

  private context(virtualPath: string, operation: FsOperation): WalkContext {
    return { root: this.root, procFd: this.procFd, virtualPath, operation, pinned: this.pinned };
  }
}
