/**
 * Scoped exec: EXEC_CMD sees only the workspace paths the process may read (read-only) and may
 * write only where it holds fs.write — with a real bwrap, through the kernel.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/index.js';
import { commandGrants, fixedPrefix, planMounts, resolveMounts } from '../../drivers/exec/scoped-mounts.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const bwrap = await findBwrap();
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('mount plan', () => {
  it('cuts globs to their fixed directory and binds parents first', () => {
    expect(['/**', '/out/**', '/src/*.ts', '/a/b', '**'].map(fixedPrefix)).toEqual(['/', '/out', '/src', '/a/b', '/']);
    expect(planMounts({ read: ['/**'], write: ['/out/**'] })).toEqual([
      { path: '/', writable: false },
      { path: '/out', writable: true, makes: true },
    ]);
    expect(planMounts({ read: ['/out/x/**', '/docs/**'], write: ['/out/**'] })).toEqual([
      { path: '/docs', writable: false },
      { path: '/out', writable: true, makes: true },
    ]);
    // A grant naming one path may name a file: no directory is made for it.
    expect(planMounts({ read: [], write: ['/notes.txt'] })).toEqual([{ path: '/notes.txt', writable: true }]);
    expect(planMounts({ read: [], write: [] })).toEqual([]);
  });

  it('takes only * as a wildcard, as FS_* do: ? [ { are characters of a name', () => {
    expect(['/docs/v?/**', '/out/{a,b}/**', '/k/[ab].txt', '/a/b?c*.md'].map(fixedPrefix)).toEqual([
      '/docs/v?',
      '/out/{a,b}',
      '/k/[ab].txt',
      '/a',
    ]);
  });

  it('binds a grant with a wildcard before its end where it matches: files alone, directories of a subtree whole', async () => {
    const ws = await mkdtemp(path.join(os.tmpdir(), 'aos-grants-'));
    try {
      for (const dir of ['users/alice/public', 'users/alice/private', 'users/bob/public/deep', 'src/sub'])
        await mkdir(path.join(ws, dir), { recursive: true });
      for (const file of ['users/alice/private/diary.txt', 'src/a.ts', 'src/b.md', 'src/sub/c.ts'])
        await writeFile(path.join(ws, file), 'x');
      await symlink(path.join(ws, 'users/alice/private'), path.join(ws, 'users/carol'));
      const grants = await commandGrants(ws, { read: ['/users/*/public/**', '/src/*.ts', '/docs/**'], write: [] }, 100);
      expect([...grants.read].sort()).toEqual([
        '/docs/**',
        '/src/a.ts',
        '/users/alice/public/**',
        '/users/bob/public/**',
      ]);
      // A grant's fixed prefix that is a link out of the workspace: its matches are refused at the mount, never bound.
      const outside = await mkdtemp(path.join(os.tmpdir(), 'aos-grants-out-'));
      await mkdir(path.join(outside, 'x', 'public'), { recursive: true });
      await symlink(outside, path.join(ws, 'away'));
      const away = await commandGrants(ws, { read: ['/away/*/public/**'], write: [] }, 100);
      await expect(resolveMounts(ws, planMounts(away))).rejects.toThrow(/leads outside the workspace/);
      await rm(outside, { recursive: true, force: true });
      // A walk past its bound refuses the run rather than binding the whole prefix.
      await expect(commandGrants(ws, { read: ['/**/*.ts'], write: [] }, 3)).rejects.toThrow(
        /more than 3 entries to look through \(param\.execRuleWalkEntries\)/,
      );
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});

async function runExec(
  caps: string[],
  cmd: string,
  expect = '"ok":true',
): Promise<{ h: Harness; value: Record<string, unknown> | undefined; message?: string }> {
  h = await startHarness({ root: [call('EXEC_CMD', { cmd }), { expect, reply: EXIT }] }, { rootCapabilities: caps });
  await mkdir(path.join(h.workspace, 'docs'), { recursive: true });
  await writeFile(path.join(h.workspace, 'docs/a.txt'), 'doc\n');
  await writeFile(path.join(h.workspace, 'private.txt'), 'private\n');
  const pcb = await h.run();
  const result = h.results(pcb.pid)[0];
  return { h, value: result?.value as Record<string, unknown> | undefined, message: result?.message };
}

describe.skipIf(!bwrap)('EXEC_CMD with scoped fs grants', () => {
  it('reads only the granted paths, writes only where fs.write is held', async () => {
    const cmd = [
      'cat docs/a.txt',
      'cat private.txt 2>/dev/null || echo no-private',
      'echo made > out/new.txt && echo wrote-out',
      'echo x > docs/b.txt 2>/dev/null || echo no-write-docs',
      'echo x > top.txt 2>/dev/null || echo no-write-root',
      'ls /workspace | tr "\\n" " "',
    ].join('; ');
    const { h, value } = await runExec(['fs.read:/docs/**', 'fs.write:/out/**', 'exec'], cmd);
    expect(value?.stdout).toBe('doc\nno-private\nwrote-out\nno-write-docs\nno-write-root\ndocs out ');
    expect(await readFile(path.join(h.workspace, 'out/new.txt'), 'utf8')).toBe('made\n');
    await expect(readFile(path.join(h.workspace, 'docs/b.txt'))).rejects.toThrow();
    await expect(readFile(path.join(h.workspace, 'top.txt'))).rejects.toThrow();
  });

  it('sees the whole workspace read-only with fs.read:/** and no fs.write', async () => {
    const { value } = await runExec(['fs.read:/**', 'exec'], 'cat private.txt; touch x 2>/dev/null || echo read-only');
    expect(value?.stdout).toBe('private\nread-only\n');
  });

  it('sees nothing of the workspace without fs grants', async () => {
    const { value } = await runExec(['exec'], 'ls -A /workspace | wc -l; cat docs/a.txt 2>/dev/null || echo none');
    expect(value?.stdout).toBe('0\nnone\n');
  });

  it('refuses a granted path that a symlink leads outside the workspace', async () => {
    h = await startHarness(
      { root: [call('EXEC_CMD', { cmd: 'ls' }), { expect: '"errno":"EACCES"', reply: EXIT }] },
      { rootCapabilities: ['fs.write:/etc/**', 'exec'] },
    );
    await mkdir(h.workspace, { recursive: true });
    await symlink('/etc', path.join(h.workspace, 'etc'));
    const pcb = await h.run();
    expect(h.results(pcb.pid)[0]?.message).toMatch(/leads outside the workspace|symbolic link/);
  });

  it('makes no directory outside the workspace for a write grant below a symlink that leads out', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'aos-outside-'));
    try {
      h = await startHarness(
        { root: [call('EXEC_CMD', { cmd: 'ls' }), { expect: '"errno":"EACCES"', reply: EXIT }] },
        { rootCapabilities: ['fs.write:/a/b/c/**', 'exec'] },
      );
      await mkdir(h.workspace, { recursive: true });
      await symlink(outside, path.join(h.workspace, 'a'));
      const pcb = await h.run();
      expect(h.results(pcb.pid)[0]?.message).toMatch(/leads outside the workspace \(a symbolic link on the way\)/);
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
