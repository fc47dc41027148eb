/**
 * Workspace paths a sandbox binds, bound by descriptor (bwrap --bind-fd / --ro-bind-fd). bwrap
 * resolves a source path when it starts and mounts it later; a directory that another command
 * running meanwhile swaps for a symlink in between would be bound wherever the link leads — a host
 * directory outside the workspace, writable. So each source in the workspace is opened here, before
 * bwrap starts, without following a symlink anywhere on its way (the descriptor must name exactly
 * the path planned), and bwrap mounts that descriptor's file: when what it mounts is not that file
 * (a swapped destination), bwrap refuses the run. bwrap closes each descriptor once bound, so the
 * command never holds one.
 */
import fs from 'node:fs';
import { AosError } from '../../sys/errno.js';
import { isInsideRoot, procFdPath } from '../fs/host-confine.js';

/**
 * The first child fd a source takes: after stdin, stdout, stderr, bwrap's four inputs (3-6), its
 * status (7), the guard's lifeline (8) and the exec gate's control socket (9).
 */
export const FIRST_SOURCE_FD = 10;

// Linux's O_PATH (not in node's fs.constants): a descriptor that names a file without opening it for I/O.
const O_PATH = 0o10000000;

export class BindSources {
  private readonly held: number[] = [];

  /**
   * `workspace`: the workspace's real path; sources outside it are config's, bound by path.
   * `expected`: what a source must be (host path to device and inode), where the fs driver holds
   * this sandbox by identity (../fs-held.ts): one replaced since, or one the hold has no identity
   * for, is refused, not bound (the workspace root itself, which no command can move, excepted).
   */
  constructor(
    private readonly workspace: string,
    private readonly expected?: ReadonlyMap<string, string>,
  ) {}

  /** bwrap options binding `host` at `at`: by descriptor when it lies in the workspace. */
  bind(host: string, at: string, writable: boolean): string[] {
    if (!isInsideRoot(this.workspace, host)) return [writable ? '--bind' : '--ro-bind', host, at];
    return [writable ? '--bind-fd' : '--ro-bind-fd', String(this.open(host)), at];
  }

  /** The descriptors in child fd order, from FIRST_SOURCE_FD on. */
  get fds(): readonly number[] {
    return this.held;
  }

  /** Closes this process's copies (the child has its own from the spawn). */
  close(): void {
    for (const fd of this.held.splice(0)) fs.closeSync(fd);
  }

  /** Opens `host` as it is now, never through a symlink: refused when it is one or one is on its way. */
  private open(host: string): number {
    const changed = (why: string) =>
      new AosError(
        'EAGAIN',
        `${host.slice(this.workspace.length) || '/'} changed while the sandbox was being built (${why}): nothing was run, run it again`,
      );
    let fd: number;
    try {
      fd = fs.openSync(host, O_PATH | fs.constants.O_NOFOLLOW);
    } catch (error) {
      throw changed((error as NodeJS.ErrnoException).code ?? 'it cannot be opened');
    }
    try {
      // The descriptor's own path is the one planned only when no symlink led elsewhere on the way.
      const stats = fs.fstatSync(fd);
      if (stats.isSymbolicLink() || fs.readlinkSync(procFdPath(fd)) !== host)
        throw changed('a symbolic link is on its way');
      // Held: bound only as the hold took it. One it could not take (the name was missing for a
      // moment when it began: another command's `mv` then `mkdir`) is refused too, not bound
      // unchecked: what the fs driver does not know the sandbox sees, it would write under it.
      if (this.expected && host !== this.workspace) {
        const want = this.expected.get(host);
        if (want === undefined) throw changed('it was not there when the sandbox began');
        if (want !== `${stats.dev}:${stats.ino}`) throw changed('another was put in its place');
      }
    } catch (error) {
      fs.closeSync(fd);
      throw error instanceof AosError ? error : changed('it cannot be checked');
    }
    this.held.push(fd);
    return FIRST_SOURCE_FD + this.held.length - 1;
  }
}

/** spawn's stdio from FIRST_SOURCE_FD on: the sources after the fixed slots (padded with nothing). */
export function sourceSlots(fixed: number, sources: BindSources | undefined): Array<'ignore' | number> {
  if (!sources || sources.fds.length === 0) return [];
  if (fixed > FIRST_SOURCE_FD)
    throw new Error(`bind sources start at fd ${FIRST_SOURCE_FD}, after ${fixed} fixed slots`);
  return [...Array.from({ length: FIRST_SOURCE_FD - fixed }, () => 'ignore' as const), ...sources.fds];
}
