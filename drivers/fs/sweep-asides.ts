/**
 * Writes a kernel left half-made when it stopped without closing (a crash, a kill -9 mid-write):
 * the aside file a write is put in before it is renamed over its target (file-io.ts writeAside,
 * `.aos-write-<id>.tmp`) stays beside that target. No agent path names one and no listing shows one
 * (virtual-path.ts), but a sandboxed command sees the directory as it is, and the policy's read
 * rules name the target, not the aside file: what an FS_WRITE to `/keys/b.key` had written so far
 * would be readable by the next command as `/keys/.aos-write-….tmp`. So the kernel's next start
 * removes them before any process runs again (kernel.ts), each only if older than that start.
 *
 * The walk opens each directory by descriptor, never following a symlink, and names what it looks
 * at through the descriptor's procfs path: a directory another program swaps for a link meanwhile
 * leads nowhere outside the workspace. Without procfs, by host paths (the race the fallback has
 * everywhere). At most `maxEntries` entries are looked at.
 */
import fs, { constants } from 'node:fs';
import path from 'node:path';
import { isAsideName } from './virtual-path.js';

const DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface AsideSweep {
  /** The workspace paths removed (`/keys/.aos-write-….tmp`). */
  readonly removed: string[];
  /** Entries looked at; the walk stopped at the cap when `truncated`. */
  readonly entries: number;
  readonly truncated: boolean;
}

/** Remove aside files older than `before` (ms since the epoch) under `root`. */
export async function sweepAsides(root: string, before: number, maxEntries: number): Promise<AsideSweep> {
  const procFd = fs.existsSync('/proc/self/fd');
  const sweep = { removed: [] as string[], entries: 0, truncated: false };
  // Depth first, a descriptor open per level: as many open at once as the tree is deep.
  const walk = async (host: string, at: string): Promise<void> => {
    let fd: number;
    try {
      fd = fs.openSync(host, DIR);
    } catch (error) {
      // Gone, or no longer a directory (swapped for a link): nothing of ours is there. Out of descriptors: not swept.
      if ((error as { code?: string }).code === 'EMFILE') sweep.truncated = true;
      return;
    }
    try {
      const base = procFd ? `/proc/self/fd/${fd}` : host;
      for (const entry of await fs.promises.readdir(base, { withFileTypes: true })) {
        if (sweep.entries >= maxEntries) {
          sweep.truncated = true;
          return;
        }
        sweep.entries++;
        const child = path.join(base, entry.name);
        if (entry.isDirectory()) await walk(child, `${at}/${entry.name}`);
        else if (entry.isFile() && isAsideName(entry.name) && staleFile(child, before)) {
          fs.rmSync(child, { force: true });
          sweep.removed.push(`${at}/${entry.name}`);
        }
      }
    } catch {
      // unreadable: skipped
    } finally {
      fs.closeSync(fd);
    }
  };
  await walk(root, '');
  return sweep;
}

/** A regular file whose last change is before `before`: one no write under way now is making. */
function staleFile(file: string, before: number): boolean {
  const stats = fs.lstatSync(file, { throwIfNoEntry: false });
  return stats !== undefined && stats.isFile() && stats.mtimeMs < before;
}
