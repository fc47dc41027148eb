/**
 * Byte-level I/O on an already opened and checked descriptor, and the text-or-base64 choice.
 * Up to `syncBytes` moves synchronously (a page-cache copy of a few µs, against ~20 µs of CPU for a
 * thread-pool round trip); more goes through the thread pool so a large file never stalls the loop.
 */
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { promisify } from 'node:util';

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
