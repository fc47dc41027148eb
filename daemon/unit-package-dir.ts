/**
 * A directory package copied into the staging directory, in the package reader's process: walked
 * with opendir (entries streamed, never listed whole: a directory of 100,000 is refused at the
 * limit's first entry past it), each entry counted and checked (unit-package-budget.ts) before it
 * is looked at further; a directory is known from its entry's type, anything else from lstat.
 * Only regular files with one link and directories are taken; a file is opened without following a
 * link, checked again on its descriptor, and copied no further than the size it declared — a file
 * that grows meanwhile cannot carry more in.
 */
import { constants, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, opendir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type PackageBudget, type StagedFile, statKind } from './unit-package-budget.js';

/** A regular file copied as declared: `bytes` from lstat, checked again on the opened descriptor. */
async function copyFile(from: string, to: string, name: string, bytes: number, budget: PackageBudget): Promise<void> {
  const handle = await open(from, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.nlink !== 1) throw budget.kind(name, statKind(stats));
    if (stats.size !== bytes) throw budget.refusal('EINVAL', `${name} changed while the package was read`);
    if (bytes === 0) return await writeFile(to, '', { flag: 'wx', mode: 0o644 });
    await pipeline(
      handle.createReadStream({ start: 0, end: bytes - 1, autoClose: false }),
      createWriteStream(to, { flags: 'wx', mode: 0o644 }),
    );
  } finally {
    await handle.close();
  }
}

/**
 * Copy the directory package `from` into `to`; its files. Walked breadth first, so a flood in one
 * directory is refused before any of it is entered; nothing is copied or made until the whole walk
 * passed. Throws the first refusal.
 */
export async function copyTree(from: string, to: string, budget: PackageBudget): Promise<StagedFile[]> {
  const files: Array<StagedFile & { real: string }> = [];
  const dirs: string[] = [];
  const queue = [{ real: '', rel: '' }];
  for (let next = queue.shift(); next; next = queue.shift()) {
    for await (const dirent of await opendir(path.join(from, next.real), { bufferSize: 32 })) {
      budget.count();
      const name = budget.name(next.rel ? `${next.rel}/${dirent.name}` : dirent.name) ?? dirent.name;
      const real = path.join(next.real, dirent.name);
      const stats = dirent.isDirectory() ? null : await lstat(path.join(from, real));
      if (stats === null || stats.isDirectory()) {
        budget.place(name, 'directory');
        dirs.push(name);
        queue.push({ real, rel: name });
      } else if (stats.isFile() && stats.nlink === 1) {
        budget.place(name, 'file');
        budget.file(name, stats.size);
        files.push({ path: name, bytes: stats.size, real });
      } else {
        throw budget.kind(name, statKind(stats));
      }
    }
  }
  for (const dir of dirs) await mkdir(path.join(to, dir), { recursive: true });
  for (const file of files)
    await copyFile(path.join(from, file.real), path.join(to, file.path), file.path, file.bytes, budget);
  return files.map(({ path: name, bytes }) => ({ path: name, bytes }));
}
