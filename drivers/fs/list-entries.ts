/**
 * The entries of an open, checked directory: sorted by name, capped, each with its type and (for
 * files) size. Types come from the directory itself (d_type), so only files need a stat. A small
 * directory is read synchronously; a large one (thousands of names) in the thread pool, so a
 * directory an agent filled cannot stall the other processes. A write's aside file is left out.
 */
import fs, { type Dirent, promises as fsp, type Stats } from 'node:fs';

import type { ListEntry } from '../../sys/driver-api.js';
import { isAsideName } from './virtual-path.js';

export type { ListEntry } from '../../sys/driver-api.js';

/**
 * Every name in `dirPath` (the directory's pinned procfs path), sorted, the first `max` described.
 * A name from the directory has no `/` and is never `.` or `..`, so it is appended as it is: path.join
 * would normalise the whole path again for each of them.
 */
export async function listEntries(
  dirPath: string,
  max: number,
  sync: boolean,
): Promise<{ entries: ListEntry[]; truncated: boolean }> {
  const options = { withFileTypes: true } as const;
  // A write's aside file is no entry of the workspace (virtual-path.ts isAsideName).
  const all = (sync ? fs.readdirSync(dirPath, options) : await fsp.readdir(dirPath, options))
    .filter((d) => !isAsideName(d.name))
    .sort(byName);
  const kept = all.length > max ? all.slice(0, max) : all;
  const described = sync
    ? kept.map((d) => describeSync(dirPath, d))
    : await Promise.all(kept.map((d) => describeAsync(dirPath, d)));
  const entries = described.filter((entry): entry is ListEntry => entry !== null);
  return { entries, truncated: all.length > kept.length };
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function describeSync(dirPath: string, dirent: Dirent): ListEntry | null {
  if (!dirent.isFile()) return describe(dirent.name, dirent);
  try {
    return describe(dirent.name, fs.lstatSync(`${dirPath}/${dirent.name}`));
  } catch {
    return null; // removed while listing
  }
}

async function describeAsync(dirPath: string, dirent: Dirent): Promise<ListEntry | null> {
  if (!dirent.isFile()) return describe(dirent.name, dirent);
  try {
    return describe(dirent.name, await fsp.lstat(`${dirPath}/${dirent.name}`));
  } catch {
    return null; // removed while listing
  }
}

/** From the directory entry, or for a file from its lstat (which also sees one replaced since the read). */
function describe(name: string, kind: Dirent | Stats): ListEntry {
  if (kind.isSymbolicLink()) return { name, type: 'symlink', size: 0 };
  if (kind.isDirectory()) return { name, type: 'dir', size: 0 };
  if (kind.isFile()) return { name, type: 'file', size: 'size' in kind ? kind.size : 0 };
  return { name, type: 'other', size: 0 };
}
