/**
 * Byte-level I/O on an already opened and checked descriptor, the text-or-base64 choice, and a
 * file's content replaced without a window where it is partial or empty. Up to `syncBytes` moves
 * synchronously (a page-cache copy of a few µs, against ~20 µs of CPU for a thread-pool round
 * trip); more goes through the thread pool so a large file never stalls the loop.
 *
 * Replacing (writeAside): the new content is written to a fresh file beside the old one, then
 * renamed over it. A full disk or a crash mid-write leaves the old file (or no file), never a torn
 * one. Creating and renaming change the directory: synchronous while such changes are fast on this
 * workspace, through the thread pool once they are not (DirChanges, below); the lookup before them is
 * synchronous.
 */
import { isUtf8 } from 'node:buffer';
import fs, { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { nanoid } from 'nanoid';
import { AosError } from '../../sys/errno.js';
import { ASIDE_PREFIX, notRegularError } from './virtual-path.js';

const readAsync = promisify(fs.read);
const writeAsync = promisify(fs.write);

export interface EncodedChunk {
  content: string;
  encoding: 'utf8' | 'base64';
  /** Bytes the content stands for; fewer than read when a split character was held back. */
  bytes: number;
}

/** Read up to `length` bytes at `offset`, stopping early only at end of file. */
export async function readChunk(fd: number, offset: number, length: number, syncBytes: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const bytesRead =
      length <= syncBytes
        ? fs.readSync(fd, buffer, filled, length - filled, offset + filled)
        : (await readAsync(fd, buffer, filled, length - filled, offset + filled)).bytesRead;
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Write every byte; position null appends (the descriptor was opened with O_APPEND). */
export async function writeAll(fd: number, data: Buffer, position: number | null, syncBytes: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const at = position === null ? null : position + written;
    written +=
      data.length <= syncBytes
        ? fs.writeSync(fd, data, written, data.length - written, at)
        : (await writeAsync(fd, data, written, data.length - written, at)).bytesWritten;
  }
}

/**
 * UTF-8 text without NUL bytes stays text; anything else is base64. When the read was cut short,
 * a character split by the cut is held back (up to 3 bytes) so text files page as text.
 */
export function encodeChunk(chunk: Buffer, cutShort: boolean): EncodedChunk {
  if (isText(chunk)) return { content: chunk.toString('utf8'), encoding: 'utf8', bytes: chunk.length };
  if (cutShort) {
    for (let drop = 1; drop <= 3 && drop < chunk.length; drop += 1) {
      const head = chunk.subarray(0, chunk.length - drop);
      if (isText(head)) return { content: head.toString('utf8'), encoding: 'utf8', bytes: head.length };
    }
  }
  return { content: chunk.toString('base64'), encoding: 'base64', bytes: chunk.length };
}

function isText(chunk: Buffer): boolean {
  return isUtf8(chunk) && !chunk.includes(0);
}

// ---- whether a write's directory changes run synchronously ----

/** Each change's weight in the moving average. */
const WEIGHT = 1 / 16;
/** A single change this many times the average's bound sends the next ones to the thread pool at once. */
const SINGLE_FACTOR = 20;
/** How long changes go through the thread pool once they were slow. */
export const SLOW_BACKOFF_MS = 30_000;

/**
 * Whether a write's directory changes (creating its aside file, renaming it over the target) run
 * synchronously or through the thread pool. On a local file system both take tens of µs from the
 * cache, and the thread pool's round trip costs more CPU than the work (measured here, a create
 * and a rename: ext4 ~100 µs of CPU synchronously against ~230 µs through the pool; tmpfs ~25
 * against ~100). But a directory change can wait on the file system's journal, or on a network
 * file system's server, for milliseconds, and a synchronous one stalls every other process for
 * that long. So they run synchronously while they stay fast here — their moving average (each
 * one weighing 1/16) at most `averageMs`, and no single one over 20 times that — and through the
 * thread pool for the next 30 s once they are not; then one is timed synchronously again.
 */
export class DirChanges {
  private average = 0;
  private poolUntil = -Infinity;
  /** Times they were found slow (for tests and diagnostics). */
  slowSpells = 0;

  /** `averageMs` 0: always the thread pool. `now`: a clock in ms (tests). */
  constructor(
    private readonly averageMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the next change may run synchronously. */
  get sync(): boolean {
    return this.averageMs > 0 && this.now() >= this.poolUntil;
  }

  /** Runs `change` synchronously, timed; a slow one (or a slow average) sends the next ones to the pool. */
  timed<T>(change: () => T): T {
    const started = this.now();
    try {
      return change();
    } finally {
      this.took(this.now() - started);
    }
  }

  /** Counts a synchronous change that took `ms`. */
  took(ms: number): void {
    const resumed = this.poolUntil > -Infinity;
    // The first after a slow spell starts near the bound: one more slow change is enough to go back.
    if (resumed) {
      this.average = this.averageMs * (1 - WEIGHT);
      this.poolUntil = -Infinity;
    }
    this.average += (ms - this.average) * WEIGHT;
    if (ms > this.averageMs * SINGLE_FACTOR || this.average > this.averageMs) {
      this.poolUntil = this.now() + SLOW_BACKOFF_MS;
      this.slowSpells++;
    }
  }
}

// ---- replacing a file: written aside, renamed over it ----

const CREATE_ASIDE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const openAsync = promisify(fs.open);

/** The mode to give the new content: the old file's, or 0644 for a new one. Refuses what must not be replaced. */
export function replaceableMode(target: string, virtualPath: string): number {
  const stats = fs.lstatSync(target, { throwIfNoEntry: false });
  if (stats === undefined) return 0o644;
  if (stats.isSymbolicLink()) throw Object.assign(new Error('symlink'), { code: 'ELOOP' });
  requireRegular(stats, virtualPath);
  return stats.mode & 0o7777;
}

/** What the driver reads, or writes over, is a regular file with one name. */
export function requireRegular(stats: fs.Stats, virtualPath: string): void {
  if (stats.isDirectory()) throw new AosError('EISDIR', `is a directory: ${virtualPath}`);
  if (!stats.isFile()) throw notRegularError(virtualPath);
  // A second name may live outside the workspace, so the content is not the workspace's to share.
  if (stats.nlink > 1) throw new AosError('EACCES', `hard-linked file: ${virtualPath}`);
}

/**
 * Writes aside in flight, each from its call to its rename's end: a sandbox about to plan its mounts
 * waits for them (../fs-held.ts), or a rename landing after its mounts were made would detach one.
 */
export const renames = new Set<Promise<void>>();

export interface Aside {
  /** The directory (its procfs path when pinned) and the name in it written. */
  readonly dirBase: string;
  readonly target: string;
  readonly data: Buffer;
  readonly mode: number;
  readonly syncBytes: number;
  /** Only if `target` is not there (EEXIST otherwise): linked, not renamed, into place. */
  readonly fresh?: boolean;
  /** Whether creating the aside and renaming it run synchronously (DirChanges, below); absent: the thread pool. */
  readonly changes?: DirChanges;
}

/** Write `data` beside `target` and rename it over `target`. */
export function writeAside(aside: Aside): Promise<void> {
  const writing = writeThenRename(aside);
  renames.add(writing);
  return writing.finally(() => renames.delete(writing));
}

async function writeThenRename({ dirBase, target, data, mode, syncBytes, fresh, changes }: Aside): Promise<void> {
  const aside = path.join(dirBase, `${ASIDE_PREFIX}${nanoid()}.tmp`);
  const fd = changes?.sync
    ? changes.timed(() => fs.openSync(aside, CREATE_ASIDE, mode))
    : await openAsync(aside, CREATE_ASIDE, mode);
  let open = true;
  try {
    await writeAll(fd, data, 0, syncBytes);
    open = false;
    fs.closeSync(fd);
    if (fresh) await fsp.link(aside, target);
    else if (changes?.sync) changes.timed(() => fs.renameSync(aside, target));
    else await fsp.rename(aside, target);
  } catch (error) {
    if (open) closeQuietly(fd);
    await fsp.rm(aside, { force: true });
    throw error;
  }
  if (fresh) await fsp.rm(aside, { force: true });
}

// The write's own error is the one worth reporting.
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already failing
  }
}

/** Undo a partial append; the write's own error is the one worth reporting. */
export function cutBack(fd: number, size: number): void {
  try {
    fs.ftruncateSync(fd, size);
  } catch {
    // already failing
  }
}
