/**
 * Replacing a file's content without a window where it is partial or empty: the new content is
 * written to a fresh file beside it, then renamed over it. A full disk or a crash mid-write leaves
 * the old file (or no file), never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { AosError } from '../errno.js';
import { writeAll } from './file-io.js';
import { notRegularError } from './fs-errors.js';

const CREATE_ASIDE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** The mode to give the new content: the old file's, or 0644 for a new one. Refuses what must not be replaced. */
export async function replaceableMode(target: string, virtualPath: string): Promise<number> {
  let stats;
  try {
    stats = await fsp.lstat(target);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return 0o644;
    throw error;
  }
  if (stats.isSymbolicLink()) throw Object.assign(new Error('symlink'), { code: 'ELOOP' });
  if (stats.isDirectory()) throw new AosError('EISDIR', `is a directory: ${virtualPath}`);
  if (!stats.isFile()) throw notRegularError(virtualPath);
  // A second name may live outside the workspace, so the content is not the workspace's to share.
  if (stats.nlink > 1) throw new AosError('EACCES', `hard-linked file: ${virtualPath}`);
  return stats.mode & 0o7777;
}

/** Write `data` beside `target` (in directory `dirBase`) and rename it over `target`. */
export async function writeAside(dirBase: string, target: string, data: Buffer, mode: number): Promise<void> {
  const aside = path.join(dirBase, `.aos-write-${randomBytes(8).toString('hex')}.tmp`);
  const handle = await fsp.open(aside, CREATE_ASIDE, mode);
  try {
    await writeAll(handle, data, 0);
    await handle.close();
    await fsp.rename(aside, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fsp.rm(aside, { force: true });
    throw error;
  }
}
