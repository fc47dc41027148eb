import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffTree, readState, snapshotTree } from '../../../drivers/fs/tree-snapshot.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aos-tree-snapshot-'));
  await mkdir(path.join(root, 'src'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('the journal snapshot of a tree others write to', () => {
  it('a file listed but gone before its lstat is not in the tree (it threw ENOENT: the whole EXEC_CMD failed EIO)', async () => {
    // The race the injection bench met: readdir lists FS_WRITE's temporary file, the write renames it away.
    await writeFile(path.join(root, 'src', '.out.txt.tmp'), 'x');
    await rename(path.join(root, 'src', '.out.txt.tmp'), path.join(root, 'src', 'out.txt'));
    const budget = { bytes: 1024 };
    await expect(readState(path.join(root, 'src', '.out.txt.tmp'), budget, true)).resolves.toBeNull();
    await expect(readState(path.join(root, 'src', 'out.txt', 'below'), budget, true)).resolves.toBeNull();
    expect(budget.bytes).toBe(1024);
  });

  it('a name replaced by a link between the listing and its lstat is not read as a file', async () => {
    await writeFile(path.join(root, 'target'), 'secret');
    await symlink(path.join(root, 'target'), path.join(root, 'src', 'link'));
    await expect(readState(path.join(root, 'src', 'link'), { bytes: 1024 }, true)).resolves.toBeNull();
  });

  it('the files that are there are snapshotted and diffed as before', async () => {
    await writeFile(path.join(root, 'src', 'a.txt'), 'one');
    const before = await snapshotTree(root, ['/src'], 1 << 20);
    expect([...before.keys()]).toEqual(['/src/a.txt']);
    await writeFile(path.join(root, 'src', 'a.txt'), 'two!');
    await writeFile(path.join(root, 'src', 'b.txt'), 'new');
    const changes = await diffTree(root, ['/src'], before, 1 << 20);
    expect(changes.map((c) => [c.path, c.before?.toString() ?? null]).sort()).toEqual([
      ['/src/a.txt', 'one'],
      ['/src/b.txt', null],
    ]);
  });
});
