/**
 * The entries of an open, checked directory: sorted by name, capped, each with its type and (for
 * files) size. Types come from the directory itself (d_type), so only files need a stat.
 */
import fs, { type Dirent, type Stats } from 'node:fs';
import path from 'node:path';

export interface ListEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
}

/** Every name in `dirPath` (the directory's pinned /proc/self/fd path), sorted, the first `max` described. */
export function listEntries(dirPath: string, max: number): { entries: ListEntry[]; truncated: boolean } {
  const all = fs.readdirSync(dirPath, { withFileTypes: true }).sort(byName);
  const kept = all.length > max ? all.slice(0, max) : all;
  const entries: ListEntry[] = [];
  for (const dirent of kept) {
    const entry = describeEntry(dirPath, dirent);
    if (entry !== null) entries.push(entry);
  }
  return { entries, truncated: all.length > kept.length };
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function describeEntry(dirPath: string, dirent: Dirent): ListEntry | null {
  const { name } = dirent;
  if (dirent.isSymbolicLink()) return { name, type: 'symlink', size: 0 };
  if (dirent.isDirectory()) return { name, type: 'dir', size: 0 };
  if (!dirent.isFile()) return { name, type: 'other', size: 0 };
  let stats: Stats;
  try {
    stats = fs.lstatSync(path.join(dirPath, name));
  } catch {
    return null; // removed while listing
  }
  // Replaced by something else since the directory was read: describe what is there now.
  if (!stats.isFile()) return { name, type: stats.isSymbolicLink() ? 'symlink' : stats.isDirectory() ? 'dir' : 'other', size: 0 };
  return { name, type: 'file', size: stats.size };
}
