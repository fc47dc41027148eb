import fs from 'node:fs';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rewrite } from '../../../drivers/fs/rewrite-in-place.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-rewrite-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rewrite in place: only the file the decision was made for', () => {
  it('writes the checked file through its own inode, cut to the new length', async () => {
    const file = path.join(dir, 'a.key');
    await writeFile(file, 'a much longer old content');
    const checked = fs.lstatSync(file);
    await rewrite(file, '/a.key', Buffer.from('new'), 0, checked);
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).ino).toBe(checked.ino);
  });

  it('another file put at the name after the check (a swap by another command) is not written: EAGAIN, both untouched', async () => {
    const file = path.join(dir, 'a.key');
    const other = path.join(dir, 'u.txt');
    await writeFile(file, 'CHECKED');
    await writeFile(other, 'OTHER');
    const checked = fs.lstatSync(file);
    // An exchange of the two names, as `mv` three times does it.
    await rename(file, path.join(dir, 'tmp'));
    await rename(other, file);
    await rename(path.join(dir, 'tmp'), other);
    await expect(rewrite(file, '/a.key', Buffer.from('WRITTEN'), 0, checked)).rejects.toMatchObject({ code: 'EAGAIN' });
    expect(await readFile(file, 'utf8')).toBe('OTHER');
    expect(await readFile(other, 'utf8')).toBe('CHECKED');
  });
});
