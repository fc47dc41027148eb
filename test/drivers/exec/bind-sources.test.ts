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
import { idOf } from '../../../drivers/fs-held-target.js';

let root = '';
beforeEach(async () => {
  root = fs.realpathSync(await mkdtemp(path.join(os.tmpdir(), 'aos-bind-')));
  fs.mkdirSync(path.join(root, 'stage'));
});
const opened: BindSources[] = [];
afterEach(async () => {
  for (const sources of opened.splice(0)) sources.close();
  await rm(root, { recursive: true, force: true });
});

// Device and inode as the hold records them (drivers/fs-held-target.ts).
const idAt = (p: string): string => idOf(fs.lstatSync(p));

/** Sources of a hold that took each of `dirs` as it is now; closed after the test. */
function heldAsNow(...dirs: string[]): BindSources {
  const sources = new BindSources(root, new Map(dirs.map((d) => [d, idAt(d)])));
  opened.push(sources);
  return sources;
}

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
    const sources = heldAsNow(stage);
    expect(sources.bind(stage, '/workspace/stage', true)).toEqual([
      '--bind-fd',
      String(FIRST_SOURCE_FD),
      '/workspace/stage',
    ]);
    expect(sources.fds).toHaveLength(1);
  });

  it('refuses (EAGAIN) a held source put in place of the one the hold took', () => {
    const stage = path.join(root, 'stage');
    const took = idAt(stage);
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
    const sources = new BindSources(root, new Map([[path.join(root, 'other'), idAt(path.join(root, 'other'))]]));
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

  it('a held source is bound only under the very spelling the hold took: every other spelling of it is refused, never bound unchecked', () => {
    const stage = path.join(root, 'stage');
    fs.mkdirSync(path.join(root, 'other'));
    const held = new Map([[stage, idAt(stage)]]);
    const spellings = [
      `${stage}/`,
      `${root}//stage`,
      `${root}/./stage`,
      `${root}/other/../stage`,
      `${root}/STAGE`,
      `${root}/stage%2f`,
      `${root}/stage\u0000`,
      `${root}/`,
    ];
    for (const spelling of spellings) {
      const sources = new BindSources(root, held);
      const error = refusal(() => sources.bind(spelling, '/workspace/stage', true));
      expect(error?.code, spelling).toBe('EAGAIN');
      expect(sources.fds, spelling).toHaveLength(0);
    }
  });

  it('a path that climbs out of the workspace by `..` is refused, held or not (not bound by path as config would be)', () => {
    const sibling = `${root}-sibling`;
    fs.mkdirSync(sibling);
    try {
      for (const sources of [new BindSources(root), new BindSources(root, new Map())]) {
        const error = refusal(() => sources.bind(`${root}/../${path.basename(sibling)}`, '/workspace/x', true));
        expect(error?.code).toBe('EAGAIN');
        expect(sources.fds).toHaveLength(0);
      }
    } finally {
      fs.rmSync(sibling, { recursive: true, force: true });
    }
  });

  it('an identity taken for one path does not let another path with the same name elsewhere through', () => {
    const stage = path.join(root, 'stage');
    fs.mkdirSync(path.join(root, 'deep'));
    fs.mkdirSync(path.join(root, 'deep', 'stage'));
    const sources = new BindSources(root, new Map([[stage, idAt(stage)]]));
    expect(refusal(() => sources.bind(path.join(root, 'deep', 'stage'), '/workspace/stage', true))?.code).toBe(
      'EAGAIN',
    );
    // Nor does the right path with the identity of another directory (a second bind reusing the first's check).
    const swapped = new BindSources(root, new Map([[stage, idAt(path.join(root, 'deep', 'stage'))]]));
    expect(refusal(() => swapped.bind(stage, '/workspace/stage', true))?.code).toBe('EAGAIN');
  });

  it('a name in the other Unicode form (NFD for the NFC one held) is another directory, refused', () => {
    const composed = path.join(root, 'caf\u00e9');
    const decomposed = path.join(root, 'cafe\u0301');
    fs.mkdirSync(composed);
    fs.mkdirSync(decomposed);
    const sources = heldAsNow(composed);
    expect(refusal(() => sources.bind(decomposed, '/workspace/cafe', true))?.code).toBe('EAGAIN');
    expect(sources.bind(composed, '/workspace/cafe', true)[0]).toBe('--bind-fd');
  });

  it('a second bind of the same source checks again: a first one that passed does not vouch for a directory swapped in since', () => {
    const stage = path.join(root, 'stage');
    const sources = heldAsNow(stage);
    expect(sources.bind(stage, '/workspace/stage', true)[0]).toBe('--bind-fd');
    fs.renameSync(stage, path.join(root, 'old'));
    fs.mkdirSync(stage);
    expect(refusal(() => sources.bind(stage, '/workspace/stage-again', true))?.code).toBe('EAGAIN');
    expect(sources.fds).toHaveLength(1);
  });

  it('a held name swapped for a symlink to the very directory the hold took is refused (the link is not followed to a matching identity)', () => {
    const stage = path.join(root, 'stage');
    const took = idAt(stage);
    fs.renameSync(stage, path.join(root, 'moved'));
    fs.symlinkSync(path.join(root, 'moved'), stage);
    const sources = new BindSources(root, new Map([[stage, took]]));
    expect(refusal(() => sources.bind(stage, '/workspace/stage', true))?.code).toBe('EAGAIN');
    expect(sources.fds).toHaveLength(0);
  });

  it('a name written to read as bwrap options never reaches its argv: the source goes by descriptor', () => {
    const hostile = path.join(root, '--bind .. x\n--dev-bind . y');
    fs.mkdirSync(hostile);
    const sources = heldAsNow(hostile);
    const args = sources.bind(hostile, '/workspace/x', false);
    expect(args).toEqual(['--ro-bind-fd', String(FIRST_SOURCE_FD), '/workspace/x']);
  });

  it('still refuses a symlink on the way, held or not', () => {
    fs.mkdirSync(path.join(root, 'elsewhere'));
    fs.symlinkSync(path.join(root, 'elsewhere'), path.join(root, 'link'));
    const link = path.join(root, 'link');
    expect(refusal(() => new BindSources(root).bind(link, '/workspace/link', true))?.code).toBe('EAGAIN');
    expect(
      refusal(() => new BindSources(root, new Map([[link, idAt(link)]])).bind(link, '/workspace/link', true))?.code,
    ).toBe('EAGAIN');
  });
});
