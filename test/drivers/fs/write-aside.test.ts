/**
 * FS_WRITE on a full disk (a 1 MiB tmpfs): the old content stays whole, a new file is not left
 * behind empty. Both ways a write's create and rename run (file-io.ts DirChanges): through the thread
 * pool, and synchronously as the kernel runs them on a fast file system.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspaceFs } from '../../../drivers/fs/workspace-fs.js';

const isRoot = process.getuid?.() === 0;
let mnt = '';
const MODES = {
  'thread pool': { syncDirChangeMs: 0, syncIoBytes: 0 },
  'synchronous, as the kernel': { syncDirChangeMs: 1, syncIoBytes: 64 * 1024 },
} as const;
const opened = new Map<string, WorkspaceFs>();

beforeAll(async () => {
  if (!isRoot) return;
  mnt = await mkdtemp(path.join(os.tmpdir(), 'aos-fulldisk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  for (const [mode, options] of Object.entries(MODES)) {
    const fs = await WorkspaceFs.open({
      root: path.join(mnt, mode.replace(/\W+/g, '-')),
      maxReadBytes: 1 << 20,
      maxWriteBytes: 4 << 20,
      maxListEntries: 100,
      maxPathLength: 1024,
      ...options,
    });
    opened.set(mode, fs);
  }
});
afterAll(async () => {
  if (!mnt) return;
  execFileSync('umount', [mnt]);
  await rm(mnt, { recursive: true, force: true });
});

const big = 'x'.repeat(2 << 20);

describe.skipIf(!isRoot).each(Object.keys(MODES))(
  'FS_WRITE when the disk is full (needs root to mount a tmpfs), %s',
  (mode) => {
    let fs: WorkspaceFs;
    beforeAll(() => {
      fs = opened.get(mode) as WorkspaceFs;
      expect(fs.dirChanges.sync).toBe(MODES[mode as keyof typeof MODES].syncDirChangeMs > 0);
    });

    it('keeps the old content of a file whose rewrite does not fit', async () => {
      await fs.write('keep.txt', 'old content');
      await expect(fs.write('keep.txt', big)).rejects.toMatchObject({
        code: 'ENOSPC',
        message: 'no space left on device: /keep.txt',
      });
      expect(await readFile(path.join(fs.root, 'keep.txt'), 'utf8')).toBe('old content');
    });

    it('leaves no empty or partial file when a new file does not fit, and no temporary file either', async () => {
      await expect(fs.write('new.txt', big)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect((await readdir(fs.root)).sort()).toEqual(['keep.txt']);
    });

    it('keeps the old content when even a small rewrite does not fit (the disk filled by another file)', async () => {
      await fs.write('small.txt', 'old small');
      const filler = path.join(mnt, `filler-${mode.replace(/\W+/g, '-')}`);
      await writeFile(filler, 'y'.repeat(1 << 20)).catch(() => undefined);
      try {
        const error = await fs.write('small.txt', 'z'.repeat(8192)).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'ENOSPC' });
        expect(await readFile(path.join(fs.root, 'small.txt'), 'utf8')).toBe('old small');
        expect((await readdir(fs.root)).filter((n) => n.startsWith('.aos-write-'))).toEqual([]);
      } finally {
        await rm(filler, { force: true });
        await rm(path.join(fs.root, 'small.txt'), { force: true });
      }
    });

    it('cuts a failed append back to the old size', async () => {
      await writeFile(path.join(fs.root, 'log.txt'), 'line 1\n');
      await expect(fs.write('log.txt', big, { append: true })).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(await readFile(path.join(fs.root, 'log.txt'), 'utf8')).toBe('line 1\n');
    });
  },
);
