/**
 * A rollback is all or nothing (issue 27.7): one that cannot restore its second file — a path now
 * behind a symlink, or a write that fails half-way — leaves every file as it was before it.
 */
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/index.js';
import { rollbackProcess, type RollbackHost } from '../../../kernel/safety/rollback.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

const bwrap = await findBwrap();
let h: Harness | null = null;
let outside = '';
afterEach(async () => {
  await h?.close();
  h = null;
  if (outside) await rm(outside, { recursive: true, force: true });
  outside = '';
});

const read = (rel: string): Promise<string | null> => readFile(path.join(h!.workspace, rel), 'utf8').catch(() => null);

/** A process that rewrites a.txt and removes d/b.txt, both there before it. */
async function changeTwo(): Promise<number> {
  h = await startHarness({
    root: [call('FS_WRITE', { path: '/a.txt', content: 'new a' }), call('EXEC_CMD', { cmd: 'rm d/b.txt' }), EXIT],
  });
  await mkdir(path.join(h.workspace, 'd'), { recursive: true });
  await writeFile(path.join(h.workspace, 'a.txt'), 'old a');
  await writeFile(path.join(h.workspace, 'd/b.txt'), 'old b');
  const pcb = await h.run();
  expect(pcb.exitCode).toBe(0);
  expect([await read('a.txt'), await read('d/b.txt')]).toEqual(['new a', null]);
  return pcb.pid;
}

describe.skipIf(!bwrap)('rollback, all or nothing', () => {
  it('refuses before writing anything when a file is now behind a symlink', async () => {
    const pid = await changeTwo();
    outside = await mkdtemp(path.join(os.tmpdir(), 'aos-outside-'));
    await rename(path.join(h!.workspace, 'd'), path.join(h!.workspace, 'd-moved'));
    await symlink(outside, path.join(h!.workspace, 'd'));
    await expect(rollbackProcess(h!.kernel.safety, pid, 0)).rejects.toThrow(
      /nothing was changed: \/d\/b\.txt cannot be reached safely/,
    );
    expect(await read('a.txt')).toBe('new a');
    expect(await readFile(path.join(outside, 'b.txt'), 'utf8').catch(() => null)).toBeNull();
  });

  it('puts back what it restored when a later write fails half-way', async () => {
    const pid = await changeTwo();
    const real = h!.kernel.safety;
    let restores = 0;
    const failing: RollbackHost = {
      journal: real.journal,
      store: real.store,
      fs: {
        root: real.fs.root,
        contentOf: (p, max) => real.fs.contentOf(p, max),
        restore: (p, content) => {
          restores++;
          if (restores === 2) return Promise.reject(new Error('ENOSPC: no space left on device'));
          return real.fs.restore(p, content);
        },
      },
    };
    await expect(rollbackProcess(failing, pid, 0)).rejects.toThrow(
      /failed at \/d\/b\.txt \(ENOSPC.*\); the 1 file\(s\) restored before it were put back/,
    );
    expect([await read('a.txt'), await read('d/b.txt')]).toEqual(['new a', null]);
    // The journal still holds the changes: the rollback can be run again once the disk has room.
    expect(await rollbackProcess(real, pid, 0)).toHaveLength(2);
    expect([await read('a.txt'), await read('d/b.txt')]).toEqual(['old a', 'old b']);
  });
});
