/**
 * Reading the daemon's pid file and asking whether its pid is a live aos daemon: shared by the
 * daemon's lock and the CLI's launcher, so it imports nothing of aos.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Alive and not a zombie (a reaped-late daemon must not hold the lock). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** A live pid that is an aos daemon (guards against a pid reused by another program). */
export function isDaemon(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('aosd.');
  } catch {
    return true; // No procfs: trust the pid.
  }
}

export async function readPidFile(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
