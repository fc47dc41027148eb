/**
 * One kernel per AOS_HOME: the pid file is the lock. It appears atomically with its content
 * (written aside, then hard-linked into place), and a file whose pid is dead is taken over — once
 * it is all gone: a killed kernel whose threads are still exiting has its socket open.
 */
import { link, rename, unlink, writeFile } from 'node:fs/promises';
import { AosError } from '../sys/errno.js';
import { isAlive, isDaemon, isExiting, readPidFile } from '../sys/host/pid-file.js';

export interface PidLock {
  release(): Promise<void>;
}

export type LockResult = { acquired: true; lock: PidLock } | { acquired: false; holder: number };

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

/**
 * How long a holder that is exiting is waited for (a killed kernel's last threads: a worker's fsync,
 * its heap unmapped). Past it the lock is judged anyway; a socket still open then fails the start.
 */
const EXITING_WAIT_MS = 5000;

async function untilExited(pid: number): Promise<void> {
  const deadline = Date.now() + EXITING_WAIT_MS;
  while (isExiting(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
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
    if (holder !== null && holder !== process.pid) {
      // Its main thread ended, it reads as no daemon (no command line) while its socket still
      // accepts: taken over now, our socket check would find "another kernel" listening.
      await untilExited(holder);
      if (isDaemon(holder)) return { acquired: false, holder };
    }
    await takeOver(file, holder);
  }
  throw new AosError('EAGAIN', `could not take the kernel lock ${file}; remove it if no kernel is running`);
}
