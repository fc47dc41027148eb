/**
 * Directories a walk already pinned, kept open for the next call that names them: a hit costs one
 * readlink of the descriptor instead of a walk from the root (an open per step, a readlink, closes).
 *
 * A descriptor follows its directory wherever it goes, so an entry is only used while its procfs
 * link still reads the very path it was pinned at. Only walks that met no symlink are kept, so that
 * path is the virtual one spelt out below root: a directory renamed, moved out of the workspace,
 * removed, or swapped for a symlink reads differently and is dropped (and walked again). The check
 * and the use are as far apart as the last step of a fresh walk and its use, so the guarantee is
 * the walk's: nothing opened or created outside root.
 *
 * Callers hold an entry across thread-pool I/O on its procfs path (`/proc/<pid>/fd/N/...`); its descriptor is closed
 * only once no caller holds it, so that number is never reused under them.
 */
import fs from 'node:fs';
import { BoundedMap } from '../../sys/bounded-map.js';
import { procFdPath } from './host-confine.js';

/** An open directory; `release` once done with it. */
export interface PinnedDir {
  readonly fd: number;
  readonly realPath: string;
  users: number;
  /** Out of the cache: closed when the last user releases it. */
  dropped: boolean;
}

export class PinnedDirs {
  private readonly dirs: BoundedMap<string, PinnedDir>;

  constructor(private readonly max: number) {
    this.dirs = new BoundedMap(max, (dir) => this.drop(dir));
  }

  get size(): number {
    return this.dirs.size;
  }

  /** The directory kept for `key`, taken for use, if it is still at the path it was pinned at. */
  take(key: string): PinnedDir | undefined {
    const dir = this.dirs.get(key);
    if (dir === undefined) return undefined;
    let now: string | null;
    try {
      now = fs.readlinkSync(procFdPath(dir.fd));
    } catch {
      now = null;
    }
    if (now !== dir.realPath) {
      this.dirs.delete(key);
      this.drop(dir);
      return undefined;
    }
    dir.users++;
    return dir;
  }

  /**
   * Keep `fd` (a directory a walk pinned at `realPath`) for `key`, and hand it back taken. It is
   * only kept when `realPath` is `expected`, the walk's names spelt out below root (no symlink on
   * the way); otherwise it is the caller's alone and closed at its release.
   */
  put(key: string, fd: number, realPath: string, expected: string): PinnedDir {
    const dir: PinnedDir = { fd, realPath, users: 1, dropped: true };
    // A removed directory's link reads "<path> (deleted)": never keep a path that could read like one.
    if (this.max === 0 || realPath !== expected || realPath.endsWith(' (deleted)')) return dir;
    const old = this.dirs.get(key);
    if (old !== undefined) {
      this.dirs.delete(key);
      this.drop(old);
    }
    dir.dropped = false;
    this.dirs.set(key, dir); // the least recently used past max is dropped
    return dir;
  }

  release(dir: PinnedDir): void {
    dir.users--;
    if (dir.dropped && dir.users === 0) fs.closeSync(dir.fd);
  }

  /** Close every descriptor no one holds; the held ones close at their release. */
  clear(): void {
    for (const dir of this.dirs.values()) this.drop(dir);
    this.dirs.clear();
  }

  private drop(dir: PinnedDir): void {
    dir.dropped = true;
    if (dir.users === 0) fs.closeSync(dir.fd);
  }
}
