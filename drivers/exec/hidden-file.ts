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
import { isAlive } from '../../sys/host/pid-file.js';

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

/**
 * Removes the directories of processes that are gone (their pid in the name; not one of ours): only
 * a directory this user owns — a daemon running as root must not recurse into a tree someone else
 * planted under a matching name (it could hold links, or be swapped for one mid-removal).
 */
async function sweep(): Promise<void> {
  const tmp = os.tmpdir();
  const names = await readdir(tmp).catch(() => [] as string[]);
  const ours = async (name: string): Promise<boolean> => {
    const pid = Number(/^aos-hidden-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) return false;
    const info = await lstat(path.join(tmp, name)).catch(() => null);
    return info !== null && info.isDirectory() && info.uid === process.getuid?.();
  };
  for (const name of names) {
    // One that cannot be removed is left (the next sweep tries again).
    if (await ours(name)) await rm(path.join(tmp, name), { recursive: true, force: true }).catch(() => {});
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
