/**
 * One kernel per AOS_HOME: the pid file is the lock. It appears atomically with its content
 * (written aside, then hard-linked into place), and a file whose pid is dead is taken over.
 */
import { link, rename, unlink, writeFile } from 'node:fs/promises';
import { AosError } from '../errno.js';
import { isAlive, isDaemon, readPidFile } from '../pid-file.js';

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
