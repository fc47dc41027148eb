/**
 * Directories kept open between calls (open-inside.ts PinnedDirs): a kept directory is used again only while
 * it is where it was pinned; renamed, removed, moved out or swapped for a symlink, the next call
 * walks again, and nothing outside the workspace is ever read, written or listed.
 */
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectProcFd } from '../../../drivers/fs/host-confine.js';
import { PinnedDirs, plainlyAbsent } from '../../../drivers/fs/open-inside.js';
import { procFdPath } from '../../../drivers/fs/host-confine.js';
import { expectRefused, makeFixture, removeFixture, type Fixture } from './fixture.js';

let f: Fixture;
let procFd = false;
beforeEach(async () => {
  f = await makeFixture();
  procFd = await detectProcFd(f.ws);
});
afterEach(async () => {
  await removeFixture(f);
});

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

async function outsideNames(): Promise<string[]> {
  return (await fsp.readdir(f.ws2)).sort();
}

describe.skipIf(process.platform !== 'linux')('PinnedDirs', () => {
  it('hands back a kept directory while its link reads the same, and drops it once it moved', async () => {
    const dir = path.join(f.ws, 'd');
    await fsp.mkdir(dir);
    const pinned = new PinnedDirs(2);
    const kept = pinned.put('d', fs.openSync(dir, 'r'), dir, dir);
    pinned.release(kept);
    const again = pinned.take('d');
    expect(again?.fd).toBe(kept.fd);
    pinned.release(again as NonNullable<typeof again>);
    await fsp.rename(dir, path.join(f.ws, 'e'));
    expect(pinned.take('d')).toBeUndefined();
    expect(pinned.size).toBe(0);
  });

  it('names a kept directory by its procfs path once, and looks it up by that path', async () => {
    const dir = path.join(f.ws, 'd');
    await fsp.mkdir(dir);
    const pinned = new PinnedDirs(2);
    const kept = pinned.put('d', fs.openSync(dir, 'r'), dir, dir);
    expect(kept.base).toBe(procFdPath(kept.fd));
    expect(fs.readlinkSync(kept.base)).toBe(dir);
    pinned.release(kept);
    expect(pinned.take('d')?.base).toBe(kept.base);
    pinned.clear();
  });

  it('keeps nothing a symlink led to, nor a path that reads like a removed one', () => {
    const pinned = new PinnedDirs(2);
    pinned.release(pinned.put('link', fs.openSync(f.ws, 'r'), f.ws, path.join(f.ws, 'link')));
    pinned.release(pinned.put('x (deleted)', fs.openSync(f.ws, 'r'), `${f.ws} (deleted)`, `${f.ws} (deleted)`));
    expect(pinned.size).toBe(0);
  });

  it('closes an evicted or cleared descriptor only when its last user releases it', () => {
    const before = openFds();
    const pinned = new PinnedDirs(1);
    const first = pinned.put('a', fs.openSync(f.ws, 'r'), f.ws, f.ws);
    const second = pinned.put('b', fs.openSync(f.ws, 'r'), f.ws, f.ws); // evicts `a`, still held
    expect(pinned.size).toBe(1);
    expect(openFds()).toBe(before + 2);
    pinned.release(first);
    expect(openFds()).toBe(before + 1);
    pinned.clear();
    expect(openFds()).toBe(before + 1);
    pinned.release(second);
    expect(openFds()).toBe(before);
  });
});

describe('WorkspaceFs with kept directories', () => {
  it('keeps the directory a call walked to, and closes it with the workspace', async (ctx) => {
    if (!procFd) ctx.skip('no /proc/self/fd on this platform');
    const before = openFds();
    await f.fs.write('out/a.txt', 'one');
    await f.fs.read('out/a.txt');
    await f.fs.list('out');
    expect(openFds()).toBe(before + 1); // `out`, for its files and as the listed directory
    f.fs.close();
    expect(openFds()).toBe(before);
  });

  it('a kept directory swapped for a symlink out: nothing outside is read, written or listed', async () => {
    await f.fs.write('d/f.txt', 'inside');
    await f.fs.list('d');
    await fsp.rename(path.join(f.ws, 'd'), path.join(f.ws, 'old'));
    await fsp.symlink(f.ws2, path.join(f.ws, 'd'));
    await expectRefused(f, f.fs.read('d/secret.txt'), 'EACCES');
    await expectRefused(f, f.fs.write('d/f.txt', 'pwned'), 'EACCES');
    await expectRefused(f, f.fs.list('d'), 'EACCES');
    expect(await outsideNames()).toEqual(['secret.txt']);
  });

  it('a kept directory moved out of the workspace: the next write makes a new one inside', async () => {
    await f.fs.write('d/f.txt', 'inside');
    await f.fs.list('d');
    await fsp.rename(path.join(f.ws, 'd'), path.join(f.ws2, 'd'));
    await f.fs.write('d/g.txt', 'new');
    expect((await f.fs.list('d')).entries.map((e) => e.name)).toEqual(['g.txt']);
    await expectRefused(f, f.fs.read('d/f.txt'), 'ENOENT');
    expect(await fsp.readdir(path.join(f.ws2, 'd'))).toEqual(['f.txt']);
  });

  it('a kept directory renamed or removed: calls reach whatever the path names now', async () => {
    await f.fs.write('d/f.txt', 'one');
    await fsp.rename(path.join(f.ws, 'd'), path.join(f.ws, 'e'));
    await fsp.mkdir(path.join(f.ws, 'd'));
    await f.fs.write('d/f.txt', 'two');
    expect((await f.fs.read('e/f.txt')).content).toBe('one');
    expect((await f.fs.read('d/f.txt')).content).toBe('two');
    await fsp.rm(path.join(f.ws, 'd'), { recursive: true });
    await expectRefused(f, f.fs.read('d/f.txt'), 'ENOENT');
    await f.fs.write('d/f.txt', 'three');
    expect((await f.fs.read('d/f.txt')).content).toBe('three');
  });

  it('a symlinked directory is walked every time: a new target is followed', async () => {
    await fsp.mkdir(path.join(f.ws, 'a'));
    await fsp.mkdir(path.join(f.ws, 'b'));
    await fsp.symlink('a', path.join(f.ws, 'link'));
    await f.fs.write('link/f.txt', 'to a');
    await fsp.unlink(path.join(f.ws, 'link'));
    await fsp.symlink('b', path.join(f.ws, 'link'));
    await f.fs.write('link/f.txt', 'to b');
    expect((await f.fs.read('a/f.txt')).content).toBe('to a');
    expect((await f.fs.read('b/f.txt')).content).toBe('to b');
  });

  it('more directories than it keeps: every call still lands where its path says', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `dir${i}`);
    await Promise.all(names.map((name) => f.fs.write(`${name}/f.txt`, name)));
    const read = await Promise.all(names.map((name) => f.fs.read(`${name}/f.txt`)));
    expect(read.map((r) => r.content)).toEqual(names);
  });
});

describe('plainlyAbsent (the journal asks it before reading what a write replaces)', () => {
  it('says a missing name is absent, and a present one (a file, a directory, a dangling link) is not', async () => {
    await fsp.mkdir(path.join(f.ws, 'd'), { recursive: true });
    await fsp.writeFile(path.join(f.ws, 'd/f.txt'), 'x');
    await fsp.symlink('nowhere', path.join(f.ws, 'd/dangling'));
    expect(plainlyAbsent(f.ws, '/d/new.txt')).toBe(true);
    expect(plainlyAbsent(f.ws, '/new.txt')).toBe(true);
    expect(plainlyAbsent(f.ws, '/d/f.txt')).toBe(false);
    expect(plainlyAbsent(f.ws, '/d')).toBe(false);
    expect(plainlyAbsent(f.ws, '/d/dangling')).toBe(false);
  });

  it('leaves a name under a symlinked or missing directory to the confined walk (false)', async () => {
    await fsp.symlink(f.ws2, path.join(f.ws, 'out'));
    await fsp.mkdir(path.join(f.ws, 'a'));
    await fsp.symlink('a', path.join(f.ws, 'inside-link'));
    expect(plainlyAbsent(f.ws, '/out/new.txt')).toBe(false);
    expect(plainlyAbsent(f.ws, '/inside-link/new.txt')).toBe(false);
    expect(plainlyAbsent(f.ws, '/missing/new.txt')).toBe(false);
  });
});
