/**
 * Byte-level I/O on an already opened and checked handle, and the text-or-base64 choice.
 */
import { isUtf8 } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';

export interface EncodedChunk {
  content: string;
  encoding: 'utf8' | 'base64';
  /** Bytes the content stands for; fewer than read when a split character was held back. */
  bytes: number;
}

/** Read up to `length` bytes at `offset`, stopping early only at end of file. */
export async function readChunk(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Write every byte; position null appends (the handle was opened with O_APPEND). */
export async function writeAll(handle: FileHandle, data: Buffer, position: number | null): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const at = position === null ? null : position + written;
    const { bytesWritten } = await handle.write(data, written, data.length - written, at);
    written += bytesWritten;
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
