/** Stream a response body into memory, stopping (and dropping the connection) at a byte cap. */
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { AosError } from '../../sys/errno.js';
import { isTextContentType } from './request-check.js';

export interface BodyBytes {
  buffer: Buffer;
  truncated: boolean;
}

/** Read at most `maxBytes` of `response`; past that the socket is destroyed and `truncated` set. */
export function readBody(
  response: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
  host: string,
): Promise<BodyBytes> {
  return new Promise<BodyBytes>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: AosError | undefined, truncated: boolean): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error !== undefined || truncated) {
        response.destroy();
        response.socket?.destroy();
      }
      if (error !== undefined) reject(error);
      else resolve({ buffer: Buffer.concat(chunks, size), truncated });
    };
    const onAbort = (): void => {
      settle(signal.reason instanceof AosError ? signal.reason : new AosError('EINTR', 'fetch was aborted'), false);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    response.on('data', (chunk: Buffer) => {
      if (settled) return;
      const room = maxBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        settle(undefined, true);
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    response.on('end', () => settle(undefined, false));
    response.on('error', (error) => {
      settle(new AosError('EIO', `reading the body from ${host} failed: ${error.message}`, { cause: error }), false);
    });
    response.on('close', () => {
      settle(new AosError('EIO', `connection to ${host} closed before the body was complete`), false);
    });
  });
}

/** The body as text for declared text types (or undeclared valid UTF-8), else null. */
export function decodeBody(buffer: Buffer, contentType: string): string | null {
  // write() without end() drops a multi-byte character cut in half by truncation.
  if (isTextContentType(contentType)) return new StringDecoder('utf8').write(buffer);
  if (contentType.trim() !== '') return null;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buffer, { stream: true });
    return text.includes('\0') ? null : text;
  } catch {
    return null;
  }
}
