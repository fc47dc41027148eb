/**
 * The synchronous paths of the workspace driver: small reads and writes move without the thread
 * pool (syncIoBytes), and a file or directory is created only when the synchronous lookup found
 * it missing. Both paths must give the same results and keep every confinement property.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { WorkspaceFs } from '../../../drivers/fs/workspace-fs.js';
import { expectClean, expectRefused, makeFixture, readHost, removeFixture, SWAPPER, type Fixture } from './fixture.js';

describe.each([0, 16, 64 * 1024])(
  'read, write, append and list with syncIoBytes and syncDirBytes %i',
  (syncIoBytes) => {
    let f: Fixture;
    beforeEach(async () => {
      f = await makeFixture({ syncIoBytes, syncDirBytes: syncIoBytes });
    });
    afterEach(async () => {
      await removeFixture(f);
    });

    it.each([0, 10, 60, 128])('round-trips %i bytes', async (size) => {
      const text = 'abcdefghij'.repeat(13).slice(0, size);
      expect(await f.fs.write('d/e/file.txt', text)).toEqual({ path: '/d/e/file.txt', bytes: size });
      expect(await readHost(path.join(f.ws, 'd/e/file.txt'))).toBe(text);
      const first = await f.fs.read('d/e/file.txt');
      expect(first).toMatchObject({ content: text.slice(0, 64), size, truncated: size > 64 });
      await f.fs.write('d/e/file.txt', text, { append: true });
      await f.fs.write('d/e/fresh.txt', text, { append: true });
      expect(await readHost(path.join(f.ws, 'd/e/file.txt'))).toBe(text + text);
      expect(await readHost(path.join(f.ws, 'd/e/fresh.txt'))).toBe(text);
      expect((await f.fs.list('d/e')).entries).toEqual([
        { name: 'file.txt', type: 'file', size: 2 * size },
        { name: 'fresh.txt', type: 'file', size },
      ]);
      expect((await fsp.readdir(path.join(f.ws, 'd/e'))).sort()).toEqual(['file.txt', 'fresh.txt']);
    });

    it('refuses an append through a symlink, whether its target exists or not', async () => {
      await fsp.symlink(f.secretPath, path.join(f.ws, 'leak'));
      await fsp.symlink(path.join(f.tmp, 'new.txt'), path.join(f.ws, 'dangling'));
      await expectRefused(f, f.fs.write('leak', 'x', { append: true }), 'EACCES', 'is a symlink: /leak');
      await expectRefused(f, f.fs.write('dangling', 'x', { append: true }), 'EACCES', 'is a symlink: /dangling');
      expect(await readHost(f.secretPath)).toBe(`${f.canary}\n`);
      expect((await fsp.readdir(f.tmp)).sort()).toEqual(['secret.txt', 'x']);
    });
  },
);

describe('races on the synchronous paths', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await makeFixture({ syncIoBytes: 1024, syncDirBytes: 64 * 1024 });
  });
  afterEach(async () => {
    await removeFixture(f);
  });

  it('never creates, appends, makes a directory or lists outside while a directory is swapped for an outside symlink', async () => {
    await fsp.mkdir(path.join(f.ws, 'swap-dir'));
    await fsp.writeFile(path.join(f.ws, 'swap-dir', '.orig'), '');
    await fsp.writeFile(path.join(f.ws, 'swap-dir', 'log.txt'), '');
    await fsp.writeFile(path.join(f.tmp, 'log.txt'), 'outside\n');
    await fsp.symlink(f.tmp, path.join(f.ws, 'swap-link'));
    const swapper = spawn(process.execPath, ['-e', SWAPPER, f.ws], { stdio: 'ignore' });
    const exited = once(swapper, 'exit');
    const outcomes: unknown[] = [];
    try {
      const deadline = Date.now() + 600;
      for (let i = 0; Date.now() < deadline; i++) {
        const attempts = [
          f.fs.write(`swap/new-${i}.txt`, 'x'),
          f.fs.write('swap/log.txt', 'appended\n', { append: true }),
          f.fs.write(`swap/d${i}/deep.txt`, 'x'),
          f.fs.list('swap'),
          f.fs.read('swap/log.txt'),
        ];
        for (const result of await Promise.allSettled(attempts))
          outcomes.push(result.status === 'fulfilled' ? result.value : result.reason);
      }
    } finally {
      swapper.kill();
      await exited;
    }
    for (const outcome of outcomes) {
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(AosError);
      expectClean(f, outcome);
      if (outcome !== null && typeof outcome === 'object' && 'entries' in outcome) {
        // `x` and `secret.txt` are only in the outside temp dir: listing them would leak outside names.
        expect(JSON.stringify(outcome.entries)).not.toMatch(/"name":"(x|secret\.txt)"/);
      }
      if (outcome !== null && typeof outcome === 'object' && 'content' in outcome)
        expect(outcome.content).not.toContain('outside');
    }
    expect(await readHost(path.join(f.tmp, 'log.txt'))).toBe('outside\n');
    expect(await readHost(f.secretPath)).toBe(`${f.canary}\n`);
    expect((await fsp.readdir(f.tmp)).sort()).toEqual(['log.txt', 'secret.txt', 'x']);
    expect((await fsp.readdir(f.base)).sort()).toEqual(['ws', 'ws2']);
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('small writes on a full disk (synchronous path; needs root to mount a tmpfs)', () => {
  let mnt = '';
  let fs: WorkspaceFs;
  beforeAll(async () => {
    mnt = await fsp.mkdtemp(path.join(os.tmpdir(), 'aos-fullsync-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    const limits = {
      maxReadBytes: 1 << 20,
      maxWriteBytes: 4 << 20,
      maxListEntries: 100,
      maxPathLength: 1024,
      syncIoBytes: 64 * 1024,
    };
    fs = await WorkspaceFs.open({ root: path.join(mnt, 'ws'), ...limits });
    await fs.write('keep.txt', 'old content');
    await fs.write('log.txt', 'line 1\n');
    // Fill what is left, so the next page of data has nowhere to go.
    await fsp.writeFile(path.join(mnt, 'filler'), Buffer.alloc(1 << 20)).catch(() => undefined);
  });
  afterAll(async () => {
    if (!mnt) return;
    execFileSync('umount', [mnt]);
    await fsp.rm(mnt, { recursive: true, force: true });
  });

  it('keeps the old content, leaves no temporary file and cuts a failed append back', async () => {
    const page = 'y'.repeat(8192);
    await expect(fs.write('keep.txt', page)).rejects.toMatchObject({
      code: 'ENOSPC',
      message: 'no space left on device: /keep.txt',
    });
    await expect(fs.write('log.txt', page, { append: true })).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await readHost(path.join(fs.root, 'keep.txt'))).toBe('old content');
    expect(await readHost(path.join(fs.root, 'log.txt'))).toBe('line 1\n');
    expect((await fsp.readdir(fs.root)).sort()).toEqual(['keep.txt', 'log.txt']);
  });
});
