/**
 * A write's create and rename run synchronously while they are fast on the workspace's file system,
 * through the thread pool for a while once they are not (drivers/fs/file-io.ts DirChanges).
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DirChanges, SLOW_BACKOFF_MS } from '../../../drivers/fs/file-io.js';
import { resolveOptions } from '../../../drivers/fs/workspace-options.js';
import { makeFixture, removeFixture } from './fixture.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('DirChanges', () => {
  it('0 ms: always the thread pool', () => {
    expect(new DirChanges(0).sync).toBe(false);
  });

  it('stays synchronous while changes are fast, and through an odd slow one under the single bound', () => {
    const c = clock();
    const changes = new DirChanges(1, c.now);
    for (let i = 0; i < 200; i++) {
      expect(changes.sync).toBe(true);
      changes.timed(() => c.advance(i % 100 === 50 ? 6 : 0.1));
    }
    expect(changes.slowSpells).toBe(0);
  });

  it('one change over 20 times the bound sends the next ones to the pool for the back-off, then one is tried again', () => {
    const c = clock();
    const changes = new DirChanges(1, c.now);
    changes.took(25);
    expect(changes.sync).toBe(false);
    expect(changes.slowSpells).toBe(1);
    c.advance(SLOW_BACKOFF_MS - 1);
    expect(changes.sync).toBe(false);
    c.advance(1);
    expect(changes.sync).toBe(true);
    // Tried again near the bound: one more slow change is enough to go back to the pool.
    changes.took(2);
    expect(changes.sync).toBe(false);
    expect(changes.slowSpells).toBe(2);
    c.advance(SLOW_BACKOFF_MS);
    changes.took(0.05);
    for (let i = 0; i < 50; i++) changes.took(0.05);
    expect(changes.sync).toBe(true);
  });

  it('a file system slow on average (each change a few ms, none huge) goes to the pool within a few changes', () => {
    const c = clock();
    const changes = new DirChanges(1, c.now);
    let synchronous = 0;
    for (let i = 0; i < 100 && changes.sync; i++) {
      changes.took(5);
      synchronous++;
    }
    expect(changes.sync).toBe(false);
    expect(synchronous).toBeLessThanOrEqual(5);
  });

  it('a change that throws is still timed', () => {
    const c = clock();
    const changes = new DirChanges(1, c.now);
    expect(() =>
      changes.timed(() => {
        c.advance(30);
        throw new Error('EIO');
      }),
    ).toThrow('EIO');
    expect(changes.sync).toBe(false);
  });
});

describe('writes through the workspace driver', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('synchronous: the create and the rename do not go through the thread pool; the content and mode are as before', async () => {
    const fixture = await makeFixture({ syncDirChangeMs: 1, syncIoBytes: 1024 });
    try {
      const renameSync = vi.spyOn(fs, 'renameSync');
      const rename = vi.spyOn(fs.promises, 'rename');
      await fixture.fs.write('a.txt', 'one');
      fs.chmodSync(`${fixture.ws}/a.txt`, 0o600);
      await fixture.fs.write('a.txt', 'two');
      expect(fs.readFileSync(`${fixture.ws}/a.txt`, 'utf8')).toBe('two');
      expect(fs.statSync(`${fixture.ws}/a.txt`).mode & 0o777).toBe(0o600);
      expect(renameSync).toHaveBeenCalledTimes(2);
      expect(rename).not.toHaveBeenCalled();
      expect(fs.readdirSync(fixture.ws)).toEqual(['a.txt']);
    } finally {
      await removeFixture(fixture);
    }
  });

  it('once slow, through the thread pool', async () => {
    const fixture = await makeFixture({ syncDirChangeMs: 1, syncIoBytes: 1024 });
    try {
      fixture.fs.dirChanges.took(1_000);
      const renameSync = vi.spyOn(fs, 'renameSync');
      const rename = vi.spyOn(fs.promises, 'rename');
      await fixture.fs.write('b.txt', 'three');
      expect(fs.readFileSync(`${fixture.ws}/b.txt`, 'utf8')).toBe('three');
      expect(rename).toHaveBeenCalledTimes(1);
      expect(renameSync).not.toHaveBeenCalled();
    } finally {
      await removeFixture(fixture);
    }
  });

  it('refuses a negative or non-number bound', () => {
    const base = { root: '/nowhere', maxReadBytes: 1, maxWriteBytes: 1, maxListEntries: 1, maxPathLength: 1 };
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => resolveOptions({ ...base, syncDirChangeMs: bad })).toThrow(/syncDirChangeMs must be/);
    expect(resolveOptions({ ...base, syncDirChangeMs: 0.5 }).syncDirChangeMs).toBe(0.5);
  });
});
