/**
 * The rollback journal's own reads and restores (WorkspaceFs.contentOf / restore) go through the
 * same confined lookups as an agent's calls: a symlinked directory that leads out of the workspace
 * neither shows the journal an outside file nor lets a rollback write or remove one.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, makeFixture, removeFixture } from './fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeFixture({ maxWriteBytes: 1 << 20 });
  await fsp.mkdir(f.ws, { recursive: true });
});
afterEach(async () => {
  await removeFixture(f);
});

describe('the journal’s view of the workspace', () => {
  it('reads a file’s content, null for a missing one, undefined for what cannot be kept', async () => {
    await fsp.mkdir(path.join(f.ws, 'd'));
    await fsp.writeFile(path.join(f.ws, 'd', 'a.txt'), 'old');
    await fsp.writeFile(path.join(f.ws, 'big.txt'), 'x'.repeat(100));
    await fsp.mkdir(path.join(f.ws, 'dir'));
    expect((await f.fs.contentOf('/d/a.txt', 1000))?.toString()).toBe('old');
    expect(await f.fs.contentOf('/d/none.txt', 1000)).toBeNull();
    expect(await f.fs.contentOf('/nodir/none.txt', 1000)).toBeNull();
    expect(await f.fs.contentOf('/big.txt', 10)).toBeUndefined();
    expect(await f.fs.contentOf('/dir', 1000)).toBeUndefined();
  });

  it('does not read through a symlinked directory that leads out of the workspace', async () => {
    await fsp.symlink(f.tmp, path.join(f.ws, 'out'));
    const seen = await f.fs.contentOf('/out/secret.txt', 1000);
    expect(seen).toBeUndefined();
  });

  it('restores bytes and removes names inside the workspace', async () => {
    const bytes = Buffer.from([0, 255, 1, 254]);
    expect(await f.fs.restore('/sub/b.bin', bytes)).toBe('restored');
    expect(await fsp.readFile(path.join(f.ws, 'sub', 'b.bin'))).toEqual(bytes);
    expect(await f.fs.restore('/sub/b.bin', null)).toBe('removed');
    await expect(fsp.stat(path.join(f.ws, 'sub', 'b.bin'))).rejects.toThrow();
    expect(await f.fs.restore('/gone/c.txt', null)).toBe('removed');
  });

  it('neither writes nor removes through a symlinked directory that leads out of the workspace', async () => {
    await fsp.symlink(f.tmp, path.join(f.ws, 'out'));
    await expect(f.fs.restore('/out/secret.txt', Buffer.from('overwritten'))).rejects.toMatchObject({ code: 'EACCES' });
    await expect(f.fs.restore('/out/secret.txt', null)).rejects.toMatchObject({ code: 'EACCES' });
    expect(await fsp.readFile(f.secretPath, 'utf8')).toBe(`${f.canary}\n`);
  });

  it('removes a symlink itself, never what it points to', async () => {
    await fsp.symlink(f.secretPath, path.join(f.ws, 'link.txt'));
    expect(await f.fs.restore('/link.txt', null)).toBe('removed');
    expect(await fsp.readFile(f.secretPath, 'utf8')).toBe(`${f.canary}\n`);
    await expect(fsp.lstat(path.join(f.ws, 'link.txt'))).rejects.toThrow();
  });
});
