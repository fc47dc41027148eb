/**
 * Reading the daemon's pid file and asking whether its pid is a live aos daemon: shared by the
 * daemon's lock and the CLI's launcher, so it imports nothing of aos.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** A pid's process as /proc sees it: running, exiting (its main thread ended, others not yet), or gone. */
type Life = 'running' | 'exiting' | 'gone';

function lifeOf(pid: number): Life {
  if (!Number.isInteger(pid) || pid <= 0) return 'gone';
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'running' : 'gone';
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'running';
  }
  // After the command's ')': state (field 3) ... num_threads (field 20).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] !== 'Z' && fields[0] !== 'X') return 'running';
  // A zombie main thread with threads left: killed, and its other threads still being torn down
  // (a worker's fsync, unmapping the heap). Its files, a daemon's listening socket among them,
  // stay open until the last thread is gone: connecting meanwhile gets a reset, not a refusal.
  return Number(fields[17]) > 1 ? 'exiting' : 'gone';
}

/**
 * Alive, or still exiting with its files open; not a zombie that is the last of its threads (a
 * reaped-late daemon must not hold the lock).
 */
export function isAlive(pid: number): boolean {
  return lifeOf(pid) !== 'gone';
}

/** Its main thread has ended but other threads have not yet: gone in a moment, its files (its socket) open until then. */
export function isExiting(pid: number): boolean {
  return lifeOf(pid) === 'exiting';
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

/**
 * This machine and pid namespace: a crashed node's name is taken back at once only by a kernel
 * that can see whether its pid still runs (two containers may share a host name, not a pid space).
 */
export function hostId(): string {
  const read = (f: () => string): string => {
    try {
      return f().trim();
    } catch {
      return '?';
    }
  };
  return `${read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'))}/${read(() => readlinkSync('/proc/self/ns/pid'))}`;
}
