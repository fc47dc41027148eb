import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkspaceFs } from '../../../drivers/fs/workspace-fs.js';
import { expectClean, expectRefused, makeFixture, readHost, removeFixture, type Fixture } from './fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeFixture();
});
afterEach(async () => {
  await removeFixture(f);
});

describe('WorkspaceFs.open', () => {
  it('creates the root and pins it to its real path', async () => {
    expect(f.fs.root).toBe(f.ws);
    expect((await fsp.stat(f.ws)).isDirectory()).toBe(true);
    const limits = { maxReadBytes: 1, maxWriteBytes: 1, maxListEntries: 1, maxPathLength: 10 };
    const again = await WorkspaceFs.open({ root: path.join(f.base, '.', 'ws'), ...limits });
    expect(again.root).toBe(f.ws);
  });
});

describe('write and read', () => {
  it('round-trips text and reports virtual paths', async () => {
    expect(await f.fs.write('notes/a.txt', 'hello\n')).toEqual({ path: '/notes/a.txt', bytes: 6 });
    expect(await fsp.readFile(path.join(f.ws, 'notes/a.txt'), 'utf8')).toBe('hello\n');
    const read = await f.fs.read('./notes//a.txt');
    expect(read).toEqual({
      path: '/notes/a.txt',
      content: 'hello\n',
      encoding: 'utf8',
      size: 6,
      offset: 0,
      bytes: 6,
      truncated: false,
    });
    expectClean(f, read);
  });

  it('creates nested parents and overwrites shorter', async () => {
    await f.fs.write('/a/b/c/d.txt', 'a long first version');
    await f.fs.write('a/b/c/d.txt', 'short');
    expect((await f.fs.read('a/b/c/d.txt')).content).toBe('short');
  });

  it('appends', async () => {
    await f.fs.write('log.txt', 'one\n');
    expect(await f.fs.write('log.txt', 'two\n', { append: true })).toEqual({ path: '/log.txt', bytes: 4 });
    await f.fs.write('fresh.txt', 'x', { append: true });
    expect((await f.fs.read('log.txt')).content).toBe('one\ntwo\n');
    expect((await f.fs.read('fresh.txt')).content).toBe('x');
  });

  it('writes an empty file', async () => {
    await f.fs.write('empty', '');
    expect(await f.fs.read('empty')).toMatchObject({ content: '', size: 0, truncated: false });
  });

  it('reads by byte offset and length', async () => {
    await f.fs.write('digits.txt', '0123456789');
    const middle = await f.fs.read('digits.txt', { offset: 3, length: 4 });
    expect(middle).toMatchObject({ content: '3456', offset: 3, bytes: 4, size: 10, truncated: true });
    expect(await f.fs.read('digits.txt', { offset: 6 })).toMatchObject({ content: '6789', truncated: false });
    expect(await f.fs.read('digits.txt', { offset: 50 })).toMatchObject({
      content: '',
      bytes: 0,
      size: 10,
      truncated: false,
    });
    expect(await f.fs.read('digits.txt', { length: 0 })).toMatchObject({ content: '', truncated: true });
  });

  it('caps reads at maxReadBytes and flags the rest', async () => {
    await fsp.writeFile(path.join(f.ws, 'big.txt'), 'x'.repeat(100));
    const first = await f.fs.read('big.txt', { length: 1000 });
    expect(first).toMatchObject({ bytes: 64, size: 100, truncated: true });
    expect(first.content).toHaveLength(64);
    const rest = await f.fs.read('big.txt', { offset: first.bytes });
    expect(rest).toMatchObject({ bytes: 36, truncated: false });
  });

  it('holds back a character split by the cap so text pages stay text', async () => {
    const text = `a${'\u00e9'.repeat(40)}`;
    await f.fs.write('accents.txt', text);
    const first = await f.fs.read('accents.txt');
    expect(first).toMatchObject({ encoding: 'utf8', bytes: 63, truncated: true });
    const second = await f.fs.read('accents.txt', { offset: first.bytes });
    expect(second).toMatchObject({ encoding: 'utf8', truncated: false });
    expect(first.content + second.content).toBe(text);
  });

  it('returns binary and NUL-bearing content as base64', async () => {
    const bytes = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x41]);
    await fsp.writeFile(path.join(f.ws, 'bin'), bytes);
    expect(await f.fs.read('bin')).toMatchObject({ encoding: 'base64', content: bytes.toString('base64'), size: 5 });
    await fsp.writeFile(path.join(f.ws, 'nul.txt'), 'a\u0000b');
    expect(await f.fs.read('nul.txt')).toMatchObject({ encoding: 'base64' });
  });
});

describe('list', () => {
  it('lists sorted entries with types and sizes', async () => {
    await f.fs.write('b.txt', 'bb');
    await f.fs.write('a/inner.txt', 'x');
    await fsp.symlink('b.txt', path.join(f.ws, 'c-link'));
    const listed = await f.fs.list();
    expect(listed).toEqual({
      path: '/',
      entries: [
        { name: 'a', type: 'dir', size: 0 },
        { name: 'b.txt', type: 'file', size: 2 },
        { name: 'c-link', type: 'symlink', size: 0 },
      ],
      truncated: false,
    });
    expect(await f.fs.list('a/')).toMatchObject({ path: '/a', entries: [{ name: 'inner.txt', type: 'file' }] });
    expectClean(f, listed);
  });

  it('caps at maxListEntries', async () => {
    for (const name of ['g', 'c', 'e', 'a', 'f', 'b', 'd']) await f.fs.write(name, name);
    const listed = await f.fs.list('/');
    expect(listed.entries.map((e) => e.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(listed.truncated).toBe(true);
  });
});

describe('errors', () => {
  it('EFBIG when content is over maxWriteBytes (counted in bytes)', async () => {
    await expectRefused(f, f.fs.write('big.txt', 'x'.repeat(129)), 'EFBIG', '/big.txt');
    await expectRefused(f, f.fs.write('big.txt', '\u00e9'.repeat(65)), 'EFBIG');
    expect(await readHost(path.join(f.ws, 'big.txt'))).toBeNull();
    expect(await f.fs.write('ok.txt', 'x'.repeat(128))).toMatchObject({ bytes: 128 });
  });

  it('ENOENT for missing files and directories', async () => {
    await expectRefused(f, f.fs.read('missing.txt'), 'ENOENT', 'no such file: /missing.txt');
    await expectRefused(f, f.fs.read('no/dir/file.txt'), 'ENOENT', 'no such file: /no/dir/file.txt');
    await expectRefused(f, f.fs.list('nowhere'), 'ENOENT', '/nowhere');
  });

  it('EISDIR for directories and the root', async () => {
    await f.fs.write('d/x.txt', 'x');
    await expectRefused(f, f.fs.read('d'), 'EISDIR', 'is a directory: /d');
    await expectRefused(f, f.fs.write('d', 'x'), 'EISDIR', '/d');
    await expectRefused(f, f.fs.write('/', 'x'), 'EISDIR');
    await expectRefused(f, f.fs.read(''), 'EISDIR');
  });

  it('ENOTDIR when a file is used as a directory', async () => {
    await f.fs.write('file.txt', 'x');
    await expectRefused(f, f.fs.list('file.txt'), 'ENOTDIR', 'not a directory: /file.txt');
    await expectRefused(f, f.fs.write('file.txt/inner', 'x'), 'ENOTDIR');
    await expectRefused(f, f.fs.read('file.txt/inner'), 'ENOTDIR');
  });

  it('EINVAL for bad offsets and lengths', async () => {
    await f.fs.write('a.txt', 'abc');
    await expectRefused(f, f.fs.read('a.txt', { offset: -1 }), 'EINVAL');
    await expectRefused(f, f.fs.read('a.txt', { length: 1.5 }), 'EINVAL');
    await expectRefused(f, f.fs.read('a.txt', { offset: Number.NaN }), 'EINVAL');
  });
});
