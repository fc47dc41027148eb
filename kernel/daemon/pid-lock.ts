/**
 * One kernel per AOS_HOME: the pid file is the lock. It appears atomically with its content
 * (written aside, then hard-linked into place), and a file whose pid is dead is taken over.
 */
import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { AosError } from '../errno.js';

export interface PidLock {
  release(): Promise<void>;
}

export type LockResult = { acquired: true; lock: PidLock } | { acquired: false; holder: number };

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

async function create(file: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${process.pid}\n`, { mode: 0o600 });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Move a stale pid file aside; if a fresh one was moved by mistake (a race), put it back. */
async function takeOver(file: string, stalePid: number | null): Promise<void> {
  const aside = `${file}.${process.pid}.stale`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readPidFile(aside);
  if (moved !== stalePid && moved !== null && isAlive(moved)) await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

export async function acquirePidLock(file: string): Promise<LockResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await create(file)) {
      return {
        acquired: true,
        lock: {
          release: async () => {
            if ((await readPidFile(file)) === process.pid) await unlink(file).catch(() => undefined);
          },
        },
      };
    }
    const holder = await readPidFile(file);
    if (holder !== null && holder !== process.pid && isDaemon(holder)) return { acquired: false, holder };
    await takeOver(file, holder);
  }
  throw new AosError('EAGAIN', `could not take the kernel lock ${file}; remove it if no kernel is running`);
}
