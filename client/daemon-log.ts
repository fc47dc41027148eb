/**
 * What the CLI reads of the daemon's log (daemon/log.ts writes it): its size before a
 * start, and the error a failed start left there.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** How far back from the end a reader looks for the last error. */
const TAIL_BYTES = 64 * 1024;

/** The size of the log now, so a reader can later look only at what came after. */
export function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last `error` message logged after byte `from`, or the last non-JSON line (a crash's stderr). */
export function lastLoggedError(file: string, from = 0): string | null {
  let text: string;
  try {
    const size = statSync(file).size;
    const start = Math.max(from, size - TAIL_BYTES);
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.max(0, size - start));
      readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if (entry.level === 'error' && typeof entry.msg === 'string') return entry.msg;
    } catch {
      if (!/^\s+at /.test(line)) return line.trim();
    }
  }
  return null;
}
