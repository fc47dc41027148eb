/** The daemon's own log (`$AOS_HOME/kernel.log`): one JSON object per line, `{ts, level, pid, msg}`. */
import { appendFileSync, renameSync, statSync } from 'node:fs';

export type LogLevel = 'info' | 'warn' | 'error';
export type DaemonLogger = (level: LogLevel, msg: string) => void;

/** The log is rotated to `kernel.log.1` when a daemon starts and finds it larger than this. */
const ROTATE_BYTES = 8 * 1024 * 1024;

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
