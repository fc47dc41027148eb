/**
 * A name the fs driver is about to write or remove, as the running sandboxes' mounts know it
 * (fs-held.ts): by its names, and by device and inode — its own, and its directory's and each one's
 * above up to the workspace root. A bind mount holds an inode, not a name: a directory a command was
 * granted, or a file a mount hides, moved by another command while it runs (`mv`), is still what
 * that command sees, under the name it had when its mounts were made.
 */
import fs from 'node:fs';
import path from 'node:path';

export const idOf = (stats: fs.Stats): string => `${stats.dev}:${stats.ino}`;

export interface Target {
  /** The workspace path as named, and as its real directory has it (symlinks on the way resolved). */
  readonly virtualPath: string;
  readonly real: string;
  /** The file there now (device and inode), when there is one. */
  readonly self: string | undefined;
  /** Its directory, and each above it up to the workspace root: device and inode, and the path from it to the name. */
  readonly chain: ReadonlyArray<{ readonly id: string; readonly below: string }>;
}

/**
 * `dir` is the name's directory: its descriptor's procfs path when pinned, else its host path; its
 * ancestors are reached through `..` from it, so a rename of one meanwhile cannot mislead the walk
 * about the directory itself. `self`: the file's own stats when the caller has it open.
 */
export function targetOf(virtualPath: string, real: string, dir: string, self?: fs.Stats): Target {
  const names = path.posix.dirname(real).split('/').filter(Boolean);
  const last = path.posix.basename(real);
  const ids = chainIds(dir, names.length);
  const chain = ids.map((id, up) => ({ id, below: [...names.slice(names.length - up), last].join('/') }));
  const own = self ?? fs.lstatSync(path.join(dir, last), { throwIfNoEntry: false });
  return { virtualPath, real, self: own ? idOf(own) : undefined, chain };
}

const PARENT = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NONBLOCK;

/**
 * `dir` and up to `depth` directories above it. Through procfs each step opens `..` of the one
 * before (a path of constant length, whatever the depth); without it, the host path's parents.
 */
function chainIds(dir: string, depth: number): string[] {
  const ids: string[] = [];
  // host-confine.ts procFdPath: /proc/<pid>/fd/<n> or /proc/self/fd/<n>.
  const byFd = /^\/proc\/(?:self|\d+)\/fd\/\d+$/.test(dir);
  const fds = dir.slice(0, dir.lastIndexOf('/') + 1);
  let fd: number | null = null;
  let at = dir;
  try {
    for (let up = 0; up <= depth; up++) {
      const stats = fs.statSync(at, { throwIfNoEntry: false });
      if (!stats) break;
      ids.push(idOf(stats));
      if (up === depth) break;
      if (!byFd) {
        at = path.dirname(at);
        continue;
      }
      const parent = fs.openSync(`${at}/..`, PARENT);
      if (fd !== null) fs.closeSync(fd);
      fd = parent;
      at = `${fds}${fd}`;
    }
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
  return ids;
}

/** A path held by its device and inode, its file or directory kept open while held. */
export interface Pinned {
  readonly path: string;
  readonly id: string;
  /** Open while held: a file system gives a freed inode's number to the next file made, and an open one is not freed. Null: not a regular file or directory, or not openable. */
  readonly fd: number | null;
}

const PIN = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

/** Each of these workspace paths under `root` that is there now, by device and inode (not followed: a mount holds what the name is). */
export function pin(root: string, paths: Iterable<string>): Pinned[] {
  const pins: Pinned[] = [];
  for (const p of paths) {
    const host = p === '/' ? root : path.join(root, p);
    const named = fs.lstatSync(host, { throwIfNoEntry: false });
    if (!named) continue;
    let fd: number | null = null;
    if (named.isFile() || named.isDirectory()) {
      try {
        fd = fs.openSync(host, PIN);
      } catch {
        // Held by its number alone.
      }
    }
    const stats = fd === null ? named : fs.fstatSync(fd);
    pins.push({ path: p, id: idOf(stats), fd });
  }
  return pins;
}

export function unpin(pins: readonly Pinned[]): void {
  for (const p of pins) if (p.fd !== null) fs.closeSync(p.fd);
}

/** Removed since it was pinned (its last name gone): a mount that sat on it in another namespace went with it. */
export function unlinked(fd: number | null): boolean {
  return fd !== null && fs.fstatSync(fd).nlink === 0;
}
