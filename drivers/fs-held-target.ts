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
  const chain: Array<{ id: string; below: string }> = [];
  for (let up = 0; up <= names.length; up++) {
    const stats = fs.statSync(up === 0 ? dir : `${dir}${'/..'.repeat(up)}`, { throwIfNoEntry: false });
    if (!stats) break;
    chain.push({ id: idOf(stats), below: [...names.slice(names.length - up), last].join('/') });
  }
  const own = self ?? fs.lstatSync(path.join(dir, last), { throwIfNoEntry: false });
  return { virtualPath, real, self: own ? idOf(own) : undefined, chain };
}

/** Each of these workspace paths under `root` that is there, by device and inode (not followed: a mount holds what the name is). */
export function idsOf(root: string, paths: Iterable<string>): Map<string, string> {
  const ids = new Map<string, string>();
  for (const p of paths) {
    const stats = fs.lstatSync(p === '/' ? root : path.join(root, p), { throwIfNoEntry: false });
    if (stats) ids.set(idOf(stats), p);
  }
  return ids;
}
