import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assertHandleInside,
  detectProcFd,
  isInsideRoot,
  procFdPath,
  resolveDirInside,
  type ConfineContext,
} from '../../../drivers/fs/host-confine.js';
import { expectRefused, makeFixture, removeFixture, type Fixture } from './fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeFixture();
});
afterEach(async () => {
  await removeFixture(f);
});

function context(procFd: boolean): ConfineContext {
  return { root: f.ws, procFd, virtualPath: '/probe', operation: 'read' };
}

describe('isInsideRoot', () => {
  it('accepts the root and paths below it only', () => {
    expect(isInsideRoot('/ws/a', '/ws/a')).toBe(true);
    expect(isInsideRoot('/ws/a', '/ws/a/b')).toBe(true);
    expect(isInsideRoot('/ws/a', '/ws/a1')).toBe(false);
    expect(isInsideRoot('/ws/a', '/ws/a10/b')).toBe(false);
    expect(isInsideRoot('/ws/a', '/ws')).toBe(false);
    expect(isInsideRoot('/', '/anything')).toBe(true);
  });
});

describe('procFdPath', () => {
  it("names a descriptor through this process's pid when /proc/self is this process", async (ctx) => {
    if (!(await detectProcFd(f.ws))) ctx.skip('no /proc/self/fd on this platform');
    if ((await fsp.readlink('/proc/self')) !== String(process.pid)) ctx.skip("/proc is another pid namespace's");
    expect(procFdPath(7)).toBe(`/proc/${process.pid}/fd/7`);
  });
});

describe('resolveDirInside', () => {
  it('creates missing directories inside and refuses a symlink out', async () => {
    expect(await resolveDirInside(context(false), ['a', 'b'], true)).toBe(path.join(f.ws, 'a', 'b'));
    await fsp.symlink(f.ws2, path.join(f.ws, 'a', 'out'));
    await expectRefused(f, resolveDirInside(context(false), ['a', 'out', 'new'], true), 'EACCES');
    expect(await fsp.readdir(f.ws2)).toEqual(['secret.txt']);
  });
});

// Deterministic stand-in for the race: a handle that ended up outside must be refused.
describe.each([true, false])('assertHandleInside (procFd %s)', (procFd) => {
  it('accepts a handle inside and refuses one outside', async (ctx) => {
    if (procFd && !(await detectProcFd(f.ws))) ctx.skip('no /proc/self/fd on this platform');
    const insidePath = path.join(f.ws, 'in.txt');
    await fsp.writeFile(insidePath, 'in');
    const inside = await fsp.open(insidePath, 'r');
    const outside = await fsp.open(f.secretPath, 'r');
    try {
      await assertHandleInside(context(procFd), inside, insidePath);
      const refused = assertHandleInside(context(procFd), outside, f.secretPath);
      await expectRefused(f, refused, 'EACCES', 'path escapes the workspace: /probe');
      // Named as if inside, but the fd is the outside file (the swapped-directory case).
      await expectRefused(f, assertHandleInside(context(procFd), outside, insidePath), 'EACCES');
    } finally {
      await inside.close();
      await outside.close();
    }
  });
});
