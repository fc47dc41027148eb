/**
 * BindSources (drivers/exec/bind-sources.ts): what a held sandbox binds is exactly what its hold took
 * by device and inode. R1 (test/security/redteam-held-ids.test.ts) leaked when a granted directory's
 * name was missing for a moment as the hold began (another command's `mv stage old; mkdir stage`):
 * the hold had no identity for it, and the new directory was bound unchecked — a directory the fs
 * driver did not know the sandbox saw.
 */
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BindSources, FIRST_SOURCE_FD } from '../../../drivers/exec/bind-sources.js';

let root = '';
beforeEach(async () => {
  root = fs.realpathSync(await mkdtemp(path.join(os.tmpdir(), 'aos-bind-')));
  fs.mkdirSync(path.join(root, 'stage'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const idOf = (p: string): string => {
  const s = fs.lstatSync(p);
  return `${s.dev}:${s.ino}`;
};

function refusal(f: () => unknown): { code?: string; message: string } | null {
  try {
    f();
    return null;
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

describe('BindSources', () => {
  it('binds a held source by descriptor when it is what the hold took', () => {
    const stage = path.join(root, 'stage');
    const sources = new BindSources(root, new Map([[stage, idOf(stage)]]));
    try {
      expect(sources.bind(stage, '/workspace/stage', true)).toEqual([
        '--bind-fd',
        String(FIRST_SOURCE_FD),
        '/workspace/stage',
      ]);
      expect(sources.fds).toHaveLength(1);
    } finally {
      sources.close();
    }
  });

  it('refuses (EAGAIN) a held source put in place of the one the hold took', () => {
    const stage = path.join(root, 'stage');
    const took = idOf(stage);
    fs.renameSync(stage, path.join(root, 'old'));
    fs.mkdirSync(stage);
    const sources = new BindSources(root, new Map([[stage, took]]));
    const error = refusal(() => sources.bind(stage, '/workspace/stage', true));
    expect(error?.code).toBe('EAGAIN');
    expect(error?.message).toMatch(/another was put in its place.*nothing was run/);
    expect(sources.fds).toHaveLength(0);
  });

  it('refuses (EAGAIN) a source the hold has no identity for (its name was missing as the hold began), writable or not', () => {
    const stage = path.join(root, 'stage');
    fs.mkdirSync(path.join(root, 'other'));
    const sources = new BindSources(root, new Map([[path.join(root, 'other'), idOf(path.join(root, 'other'))]]));
    for (const writable of [true, false]) {
      const error = refusal(() => sources.bind(stage, '/workspace/stage', writable));
      expect(error?.code).toBe('EAGAIN');
      expect(error?.message).toMatch(
        /\/stage changed while the sandbox was being built \(it was not there when the sandbox began\)/,
      );
    }
    // Even with nothing held at all: an empty hold is still a hold.
    const none = new BindSources(root, new Map());
    expect(refusal(() => none.bind(stage, '/workspace/stage', true))?.code).toBe('EAGAIN');
    expect(sources.fds).toHaveLength(0);
  });

  it('binds the workspace root (which no command can move) and, without a hold, any source in it', () => {
    const held = new BindSources(root, new Map());
    const free = new BindSources(root);
    try {
      expect(held.bind(root, '/workspace', true)[0]).toBe('--bind-fd');
      expect(free.bind(path.join(root, 'stage'), '/workspace/stage', false)[0]).toBe('--ro-bind-fd');
    } finally {
      held.close();
      free.close();
    }
  });

  it('still refuses a symlink on the way, held or not', () => {
    fs.mkdirSync(path.join(root, 'elsewhere'));
    fs.symlinkSync(path.join(root, 'elsewhere'), path.join(root, 'link'));
    const link = path.join(root, 'link');
    expect(refusal(() => new BindSources(root).bind(link, '/workspace/link', true))?.code).toBe('EAGAIN');
    expect(
      refusal(() => new BindSources(root, new Map([[link, idOf(link)]])).bind(link, '/workspace/link', true))?.code,
    ).toBe('EAGAIN');
  });
});
