/**
 * The empty mode-000 file a sandbox binds read-only over a file an fs read rule hides: opening it
 * fails with EACCES (the sandbox drops every capability, so not even its owner may read it), and the
 * bind makes it read-only, so nobody inside can chmod it. bwrap binds host paths only, hence one on
 * the host: in a 0700 directory of this process's own under the temp dir, made again if removed.
 *
 * The directory goes when the process exits; one killed (SIGKILL, a test runner ending its workers)
 * leaves it, so its name carries the pid and the next process to make one removes those of pids
 * that are gone.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, lstat, open, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

let made: Promise<string> | null = null;

const PREFIX = 'aos-hidden-';

async function make(): Promise<string> {
  await sweep();
  const dir = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'empty');
  const handle = await open(file, 'wx', 0o000);
  await handle.close();
  return file;
}

/** Removes the directories of processes that are gone (their pid in the name; not one of ours). */
async function sweep(): Promise<void> {
  const names = await readdir(os.tmpdir()).catch(() => [] as string[]);
  const gone = names.filter((name) => {
    const pid = Number(/^aos-hidden-(\d+)-/.exec(name)?.[1]);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid);
  });
  // Another user's (a shared temp dir) may refuse: left to them.
  const remove = (name: string) => rm(path.join(os.tmpdir(), name), { recursive: true, force: true }).catch(() => {});
  await Promise.all(gone.map(remove));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function intact(file: string): Promise<boolean> {
  try {
    const info = await lstat(file);
    return info.isFile() && info.size === 0 && (info.mode & 0o7777) === 0 && info.uid === process.getuid?.();
  } catch {
    return false;
  }
}

/** The host path of the empty mode-000 file (made at the first use, and again when it is gone or changed). */
export async function hiddenFile(): Promise<string> {
  made ??= make();
  const file = await made;
  if (await intact(file)) return file;
  await rm(path.dirname(file), { recursive: true, force: true });
  made = make();
  return made;
}
