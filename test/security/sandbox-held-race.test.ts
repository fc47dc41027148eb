/**
 * The fs driver's check and its rename are not one step (drivers/fs-held.ts): an FS_WRITE that found
 * no sandbox running writes aside and renames a moment later, on the thread pool. Were a sandbox to
 * make its mounts in that moment, the rename would detach the one on the file (Linux, in another
 * mount namespace) and the sandbox would read the new content of a file it must not read, or write a
 * file held read-only. A sandbox plans its mounts only once the renames begun before it have landed;
 * while it plans, an existing file is rewritten in place and a removal waits. Real bwrap; the rename
 * is held back (a spy on fs.promises.rename) until the sandbox has started, or 1.5 s have passed.
 */
import nodeFs from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { holderCount, planningCount } from '../../drivers/fs-held.js';
import { useHeldWorkspace } from '../helpers/held-sandbox.js';
import { until } from '../helpers/until.js';

const ready = Boolean(await findBwrap());
if (!ready) console.log('bwrap is missing: held-path race tests skipped');

const held = useHeldWorkspace();
afterEach(() => {
  vi.restoreAllMocks();
});

const started = (): Promise<boolean> =>
  readFile(path.join(held.dir, 'ctl/started')).then(
    () => true,
    () => false,
  );

/**
 * The next rename waits until a sandbox holds, then until `release` is called, or (by default) until
 * the sandbox has started or 1.5 s have passed (with the fix it waits for this very rename).
 */
function holdNextRename(): { renamed: Promise<void>; release: () => void } {
  const rename = nodeFs.promises.rename;
  let renamed = (): void => {};
  let released = false;
  const done = new Promise<void>((resolve) => (renamed = resolve));
  vi.spyOn(nodeFs.promises, 'rename').mockImplementationOnce(async (from, to) => {
    await until(() => holderCount() > 0, 20_000, 'a sandbox to hold');
    const since = Date.now();
    await until(async () => released || (await started()) || Date.now() - since > 1_500, 20_000, 'the sandbox');
    await rename(from, to);
    renamed();
  });
  return { renamed: done, release: () => void (released = true) };
}

describe.skipIf(!ready)('a write aside that renames while a sandbox begins', () => {
  it.each(
    [
      {
        what: 'a hidden file: the sandbox plans after the rename has landed and never reads the new content',
        file: 'keys/a.key',
        content: 'NEW-SECRET',
        loop: 'cat /workspace/keys/a.key >> /tmp/seen 2>/dev/null',
        tail: 'cat /tmp/seen; echo END',
        saw: (stdout: string) => {
          expect(stdout).toContain('END');
          expect(stdout).not.toContain('NEW-SECRET');
        },
      },
      {
        what: 'a read-only file: it stays read-only to the sandbox',
        file: 'conf/c.yaml',
        content: 'new-conf',
        loop: 'echo HACKED > /workspace/conf/c.yaml 2>/dev/null',
        tail: 'cat /workspace/conf/c.yaml',
        saw: (stdout: string) => expect(stdout).toContain('new-conf'),
      },
    ].map((c) => [c.what, c] as const),
  )('%s', async (_what, { file, content, loop, tail, saw }) => {
    const { renamed } = holdNextRename();
    const writing = held.fs.write(`/${file}`, content);
    const result = await held.whileRunning(loop, tail, async () => {
      await writing;
      await renamed;
      // Long enough for the loop to run many times, were the mount gone.
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    saw(result.stdout);
    expect(await readFile(path.join(held.dir, file), 'utf8')).toBe(content);
  });

  it('while a sandbox plans, what its read rules cover is refused, an existing file is rewritten in place, a removal waits for its mounts', async () => {
    const inode = async (name: string) => (await stat(path.join(held.dir, name))).ino;
    const { renamed, release } = holdNextRename();
    const first = held.fs.write('/free.txt', 'first');
    const before = await inode('conf/c.yaml');
    const run = held.whileRunning(
      'echo HACKED > /workspace/conf/c.yaml 2>/dev/null',
      'cat /workspace/conf/c.yaml',
      async () => {
        await renamed;
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    );
    // Planning: its mounts wait for the held-back rename.
    await until(() => planningCount() === 1, 20_000, 'the sandbox to plan');
    await expect(held.fs.write('/keys/a.key', 'WHILE-PLANNING')).rejects.toMatchObject({ code: 'EBUSY' });
    await held.fs.write('/conf/c.yaml', 'WHILE-PLANNING');
    expect(await inode('conf/c.yaml')).toBe(before);
    const removal = held.fs.restore('/conf/c.yaml', null).then(
      () => 'removed',
      (error: unknown) => (error as { code?: string }).code,
    );
    release();
    await first;
    const result = await run;
    // Refused once its mounts were known (one sits on it), not let through while they were not.
    expect(await removal).toBe('EBUSY');
    expect(result.stdout).toContain('WHILE-PLANNING');
    expect(await readFile(path.join(held.dir, 'conf/c.yaml'), 'utf8')).toBe('WHILE-PLANNING');
    expect(await readFile(path.join(held.dir, 'keys/a.key'), 'utf8')).toBe('OLD-KEY');
  });
});
