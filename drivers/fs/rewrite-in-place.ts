/**
 * A file rewritten in place, for a running sandbox that holds it by a mount of its own
 * (../fs-held.ts): the mount stays on it, where a write aside renamed over it would detach it.
 */
import fs, { constants } from 'node:fs';
import { AosError } from '../../sys/errno.js';
import { writeAll } from './file-io.js';
import { notRegularError } from './virtual-path.js';

/**
 * The same file, its content replaced: a sandbox's mount on it stays on it. Unlike a write aside,
 * a full disk half-way leaves it torn: the price of holding it while the sandbox runs. A file with a
 * second name is refused as a write aside refuses it (the other name may be readable elsewhere).
 * `checked`: the file the decision to write in place was made for; another one at the name is not written.
 */
export async function rewrite(
  target: string,
  virtualPath: string,
  data: Buffer,
  syncBytes: number,
  checked: fs.Stats,
): Promise<void> {
  const fd = fs.openSync(target, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = fs.fstatSync(fd);
    // Opened by name after the check (../fs-held.ts beforeWrite): another command may have put a
    // different file at it meanwhile (a rename, an exchange). Only the file that was checked is written.
    if (stats.dev !== checked.dev || stats.ino !== checked.ino)
      throw new AosError(
        'EAGAIN',
        `${virtualPath} was replaced while it was being written; nothing was written, try again`,
      );
    if (!stats.isFile()) throw notRegularError(virtualPath);
    if (stats.nlink > 1) throw new AosError('EACCES', `hard-linked file: ${virtualPath}`);
    await oneAtATime(`${stats.dev}:${stats.ino}`, async () => {
      await writeAll(fd, data, 0, syncBytes);
      fs.ftruncateSync(fd, data.length);
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** In-place rewrites under way, by file (device and inode): two at once would interleave their writes and cuts. */
const rewriting = new Map<string, Promise<void>>();

async function oneAtATime(file: string, work: () => Promise<void>): Promise<void> {
  const before = rewriting.get(file);
  const mine = (before ?? Promise.resolve()).then(work, work);
  const kept = mine.then(
    () => undefined,
    () => undefined,
  );
  rewriting.set(file, kept);
  try {
    await mine;
  } finally {
    if (rewriting.get(file) === kept) rewriting.delete(file);
  }
}
