/**
 * Replacing a file's content without a window where it is partial or empty: the new content is
 * written to a fresh file beside it, then renamed over it. A full disk or a crash mid-write leaves
 * the old file (or no file), never a torn one. Creating and renaming change the directory, so they
 * go through the thread pool (see host-confine.ts); the lookup before them is synchronous.
 */
import fs, { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { nanoid } from 'nanoid';
import { AosError } from '../../sys/errno.js';
import { writeAll } from './file-io.js';
import { notRegularError } from './fs-errors.js';

const CREATE_ASIDE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const openAsync = promisify(fs.open);

/** The mode to give the new content: the old file's, or 0644 for a new one. Refuses what must not be replaced. */
export function replaceableMode(target: string, virtualPath: string): number {
  const stats = fs.lstatSync(target, { throwIfNoEntry: false });
  if (stats === undefined) return 0o644;
  if (stats.isSymbolicLink()) throw Object.assign(new Error('symlink'), { code: 'ELOOP' });
  if (stats.isDirectory()) throw new AosError('EISDIR', `is a directory: ${virtualPath}`);
  if (!stats.isFile()) throw notRegularError(virtualPath);
  // A second name may live outside the workspace, so the content is not the workspace's to share.
  if (stats.nlink > 1) throw new AosError('EACCES', `hard-linked file: ${virtualPath}`);
  return stats.mode & 0o7777;
}

/** Write `data` beside `target` (in directory `dirBase`) and rename it over `target`. */
export async function writeAside(dirBase: string, target: string, data: Buffer, mode: number, syncBytes: number): Promise<void> {
  const aside = path.join(dirBase, `.aos-write-${nanoid()}.tmp`);
  const fd = await openAsync(aside, CREATE_ASIDE, mode);
  let open = true;
  try {
    await writeAll(fd, data, 0, syncBytes);
    open = false;
    fs.closeSync(fd);
    await fsp.rename(aside, target);
  } catch (error) {
    if (open) closeQuietly(fd);
    await fsp.rm(aside, { force: true });
    throw error;
  }
}

// The write's own error is the one worth reporting.
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already failing
  }
}
