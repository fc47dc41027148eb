/** The daemon's own log (`$AOS_HOME/kernel.log`): one JSON object per line, `{ts, level, pid, msg}`. */
import { appendFileSync, closeSync, openSync, readSync, renameSync, statSync } from 'node:fs';

export type LogLevel = 'info' | 'warn' | 'error';
export type DaemonLogger = (level: LogLevel, msg: string) => void;

/** The log is rotated to `kernel.log.1` when a daemon starts and finds it larger than this. */
const ROTATE_BYTES = 8 * 1024 * 1024;
/** How much of the log's end the CLI reads to explain a failed start. */
const TAIL_BYTES = 64 * 1024;

export function rotateLog(file: string): void {
  try {
    if (statSync(file).size > ROTATE_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // No log yet.
  }
}

/** A running daemon looks at the log's size every this many lines and rotates it past ROTATE_BYTES. */
const ROTATE_CHECK_LINES = 500;

export function openDaemonLog(file: string, options: { echo: boolean }): DaemonLogger {
  let lines = 0;
  return (level, msg) => {
    const line = JSON.stringify({ ts: new Date().toISOString(), level, pid: process.pid, msg });
    // A daemon left running for a month keeps at most two logs' worth on disk.
    if (++lines % ROTATE_CHECK_LINES === 0) rotateLog(file);
    try {
      appendFileSync(file, `${line}\n`, { mode: 0o600 });
    } catch {
      // A full disk must not take the kernel down with it; stderr still has the line below.
    }
    if (options.echo) process.stderr.write(`${line}\n`);
  };
}

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
