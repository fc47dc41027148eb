/**
 * Reading a tape file by host path (the CLI user's): whatever the path names — a FIFO, /dev/zero,
 * a directory, a huge file — the read neither blocks the event loop nor hangs nor fills memory.
 */
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { AosError, errnoFromNode } from '../../sys/errno.js';
import { readChunk } from '../fs/file-io.js';
import { parseTape, type Tape } from './replay-tape.js';

export interface TapeFileOptions {
  /** Larger tapes are refused (param.replayMaxTapeBytes). */
  maxBytes: number;
}

// Without O_NONBLOCK, opening a FIFO waits for a writer, holding a libuv thread for good.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Read and validate a tape. AosError: ENOENT missing, EISDIR/EACCES not a regular file, EFBIG too large, EINVAL invalid. */
export async function loadTape(file: string, options: TapeFileOptions): Promise<Tape> {
  return parseTape(await readTapeFile(file, options.maxBytes), file);
}

/** The text of a regular file of at most maxBytes, refused by its fstat before any byte is read. */
export async function readTapeFile(file: string, maxBytes: number): Promise<string> {
  const handle = await openTape(file);
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new AosError('EISDIR', `replay tape ${file} is a directory`);
    if (!stats.isFile())
      throw new AosError('EACCES', `replay tape ${file} is not a regular file (a FIFO, device or socket)`);
    if (stats.size > maxBytes) throw tooLarge(file, maxBytes);
    // One byte over the cap: a file that grew since fstat is caught too.
    const data = await readChunk(handle.fd, 0, maxBytes + 1, 0);
    if (data.length > maxBytes) throw tooLarge(file, maxBytes);
    return data.toString('utf8');
  } catch (error) {
    throw error instanceof AosError ? error : readError(file, error);
  } finally {
    await handle.close();
  }
}

async function openTape(file: string): Promise<FileHandle> {
  try {
    return await fsp.open(file, OPEN_FLAGS);
  } catch (error) {
    if (errnoFromNode(error) === 'ENOENT')
      throw new AosError('ENOENT', `replay tape not found: ${file}`, { cause: error });
    throw readError(file, error);
  }
}

function readError(file: string, error: unknown): AosError {
  return new AosError(errnoFromNode(error), `cannot read replay tape ${file}: ${(error as Error).message}`, {
    cause: error,
  });
}

export function tooLarge(file: string, maxBytes: number): AosError {
  return new AosError('EFBIG', `replay tape ${file} is larger than the ${maxBytes} byte limit`);
}
