/**
 * The empty mode-000 file a sandbox binds read-only over a file an fs read rule hides: opening it
 * fails with EACCES (the sandbox drops every capability, so not even its owner may read it), and the
 * bind makes it read-only, so nobody inside can chmod it. bwrap binds host paths only, hence one on
 * the host: in a 0700 directory of this process's own under the temp dir, made again if removed.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, lstat, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

let made: Promise<string> | null = null;

async function make(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-hidden-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'empty');
  const handle = await open(file, 'wx', 0o000);
  await handle.close();
  return file;
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
