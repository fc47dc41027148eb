/**
 * A running sandbox's mounts survive what the fs driver does meanwhile (drivers/fs-held.ts). Linux
 * detaches a mount in another mount namespace when the path it sits on is replaced or unlinked:
 * FS_WRITE renames new content over its target, so a file hidden from a running EXEC_CMD (or a
 * long-lived MCP server) by `deny: fs.read:…` showed that sandbox the new content, and a file held
 * read-only by `deny: fs.write:…` became writable in it. Real bwrap, a real sandbox running while
 * the fs driver writes: a hidden file is rewritten in place and stays hidden, a read-only one stays
 * read-only, a new name a read rule covers is refused until an EXEC_CMD has ended (an MCP server is
 * stopped first, and starts again under new mounts), and so is the removal of what it holds.
 */
import { link, readFile, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execLimits } from '../../drivers/exec/driver.js';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { runSandboxed } from '../../drivers/exec/run-sandboxed.js';
import { holderCount } from '../../drivers/fs-held.js';
import { closeDrivers, openDrivers, scopeDrivers } from '../../drivers/index.js';
import { shadowedSyscall } from '../../kernel/kernel-open.js';
import { CapabilitySet } from '../../sys/capabilities.js';
import { filesystem } from '../drivers/mcp/servers.js';
import { RULES, useHeldWorkspace } from '../helpers/held-sandbox.js';
import { until } from '../helpers/until.js';

const ready = Boolean(await findBwrap());
if (!ready) console.log('bwrap is missing: held-path tests skipped');

const held = useHeldWorkspace();
const { whileRunning } = held;

describe.skipIf(!ready)('a running sandbox keeps what its mounts hold while the fs driver writes', () => {
  it('a hidden file rewritten by FS_WRITE stays hidden from it (in place: its mount stays on)', async () => {
    const result = await whileRunning(
      'cat /workspace/keys/a.key >> /tmp/seen 2>/dev/null',
      'cat /tmp/seen; echo END',
      async () => {
        await held.fs.write('/keys/a.key', 'NEW-SECRET');
        // Long enough for the loop to read it many times, were it there to read.
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    );
    expect(result.stdout).toContain('END');
    expect(result.stdout).not.toContain('NEW-SECRET');
    expect(result.stdout).not.toContain('OLD-KEY');
    expect(await readFile(path.join(held.dir, 'keys/a.key'), 'utf8')).toBe('NEW-SECRET');
  });

  it('a read-only file rewritten by FS_WRITE stays read-only to it', async () => {
    const result = await whileRunning(
      'echo HACKED > /workspace/conf/c.yaml 2>/dev/null',
      'cat /workspace/conf/c.yaml',
      async () => {
        await held.fs.write('/conf/c.yaml', 'new-conf');
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    );
    expect(result.stdout).toContain('new-conf');
    expect(await readFile(path.join(held.dir, 'conf/c.yaml'), 'utf8')).toBe('new-conf');
  });

  it('a new name its read rule covers is refused while it runs (it would see it), and made once it has ended', async () => {
    await whileRunning('true', 'true', async () => {
      await expect(held.fs.write('/keys/b.key', 'B-SECRET')).rejects.toMatchObject({ code: 'EBUSY' });
      await expect(held.fs.write('/keys/c.key', 'C', { append: true })).rejects.toMatchObject({ code: 'EBUSY' });
      // What no rule covers, or what a hidden directory covers, is written as ever.
      await held.fs.write('/keys/notes.txt', 'notes');
      await held.fs.write('/vault/new.txt', 'inside a hidden directory');
      await held.fs.write('/free.txt', 'free again');
    });
    await held.fs.write('/keys/b.key', 'B-SECRET');
    expect(await readFile(path.join(held.dir, 'keys/b.key'), 'utf8')).toBe('B-SECRET');
    expect(await readFile(path.join(held.dir, 'vault/new.txt'), 'utf8')).toBe('inside a hidden directory');
  });

  it('what lies outside the paths it was granted is not held for it: a new covered name there is made at once', async () => {
    const result = await whileRunning(
      'ls /workspace/keys >> /tmp/seen 2>&1',
      'sort -u /tmp/seen; echo END',
      async () => {
        await held.fs.write('/keys/b.key', 'B-SECRET');
        await held.fs.write('/vault/w.txt', 'W');
        await new Promise((resolve) => setTimeout(resolve, 200));
      },
      { grants: { read: ['/free.txt'], write: ['/ctl'] } },
    );
    expect(result.stdout).toContain('END');
    expect(result.stdout).not.toContain('b.key');
    expect(await readFile(path.join(held.dir, 'keys/b.key'), 'utf8')).toBe('B-SECRET');
  });

  it('writes at once to a held file land one after another (in place, they would interleave)', async () => {
    const contents = ['A', 'B', 'C', 'D', 'E', 'F'].map((letter, i) => letter.repeat(900_000 - i * 150_000));
    const landed: string[] = [];
    await whileRunning('true', 'true', async () => {
      for (let round = 0; round < 6; round++) {
        await Promise.all(contents.map((content) => held.fs.write('/conf/c.yaml', content)));
        landed.push(await readFile(path.join(held.dir, 'conf/c.yaml'), 'utf8'));
      }
    });
    for (const content of landed) expect(contents).toContain(content);
  });

  it('what it holds is not removed while it runs (a rollback), and is once it has ended', async () => {
    await whileRunning('true', 'true', async () => {
      await expect(held.fs.restore('/keys/a.key', null)).rejects.toMatchObject({ code: 'EBUSY' });
      await expect(held.fs.restore('/conf/c.yaml', null)).rejects.toMatchObject({ code: 'EBUSY' });
      expect(await held.fs.restore('/free.txt', null)).toBe('removed');
    });
    expect(await held.fs.restore('/keys/a.key', null)).toBe('removed');
  });
});

// Found by a red-team pass over the first version of the fix.
describe.skipIf(!ready)('what a running sandbox holds, reached another way', () => {
  it('through a symlinked directory: the real name is held as the named one is', async () => {
    await symlink('keys', path.join(held.dir, 'lnk'));
    const result = await whileRunning(
      'cat /workspace/keys/a.key >> /tmp/seen 2>/dev/null',
      'cat /tmp/seen; echo END',
      async () => {
        await held.fs.write('/lnk/a.key', 'VIA-LINK');
        await expect(held.fs.write('/lnk/b.key', 'NEW-VIA-LINK')).rejects.toMatchObject({ code: 'EBUSY' });
        await new Promise((resolve) => setTimeout(resolve, 300));
        await held.fs.write('/keys/a.key', 'LATER-SECRET');
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    );
    expect(result.stdout).toContain('END');
    expect(result.stdout).not.toMatch(/VIA-LINK|LATER-SECRET/);
    expect(await readFile(path.join(held.dir, 'keys/a.key'), 'utf8')).toBe('LATER-SECRET');
  });

  it('by any spelling of the path: each one is the held file, rewritten in place', async () => {
    const result = await whileRunning(
      'cat /workspace/keys/a.key >> /tmp/seen 2>/dev/null',
      'cat /tmp/seen; echo END',
      async () => {
        for (const spelling of ['//keys/a.key', '/keys/./a.key', 'keys/a.key', '/keys//a.key', '/./keys/a.key'])
          await held.fs.write(spelling, `SPELLED-${spelling.length}`);
        await expect(held.fs.write('/keys/.//b.key', 'NEW-SPELLED')).rejects.toMatchObject({ code: 'EBUSY' });
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    );
    expect(result.stdout).toContain('END');
    expect(result.stdout).not.toContain('SPELLED');
  });

  it('a name the sandbox made itself after its mounts were made is not written while it runs', async () => {
    const result = await whileRunning(
      'cat /workspace/keys/b.key >> /tmp/seen 2>/dev/null',
      'cat /tmp/seen; echo END',
      async () => {
        await until(
          async () => (await readFile(path.join(held.dir, 'keys/b.key')).catch(() => null)) !== null,
          10_000,
          'b.key',
        );
        await expect(held.fs.write('/keys/b.key', 'VICTIM-SECRET')).rejects.toMatchObject({ code: 'EBUSY' });
        await expect(held.fs.write('/keys/b.key', 'VICTIM-SECRET', { append: true })).rejects.toMatchObject({
          code: 'EBUSY',
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
      },
      { first: 'sleep 0.2; : > /workspace/keys/b.key' },
    );
    expect(result.stdout).toContain('END');
    expect(result.stdout).not.toContain('VICTIM-SECRET');
  });

  // A red-team finding on the views of c013d27: held by path, a granted directory moved by another
  // sandbox let FS_WRITE make under its new name what the command still saw under the old one.
  it.each([
    { grant: '/keys', move: 'mv /workspace/keys /workspace/k2', seen: '/k2' },
    { grant: '/keys', move: 'mkdir /workspace/up && mv /workspace/keys /workspace/up/k3', seen: '/up/k3' },
  ])(
    'a directory it was granted ($grant), moved by another sandbox while it runs: what it would see is still refused',
    async ({ grant, move, seen }) => {
      await rm(path.join(held.dir, 'keys/a.key'));
      const result = await whileRunning(
        'ls /workspace/keys >> /tmp/seen 2>&1',
        'sort -u /tmp/seen; echo END',
        async () => {
          const limits = { ...execLimits(), wallTimeoutMs: 20_000 };
          const moved = await runSandboxed({ cmd: move, workspace: held.dir, limits, fsRules: RULES });
          expect(moved.exit_code, moved.stderr).toBe(0);
          // Not covered by its name here, but the command sees it as /keys/b.key: covered there.
          await expect(held.fs.write(`${seen}/b.key`, 'B-SECRET')).rejects.toMatchObject({ code: 'EBUSY' });
          await expect(held.fs.write(`${seen}/c.key`, 'C', { append: true })).rejects.toMatchObject({ code: 'EBUSY' });
          await held.fs.write(`${seen}/notes.txt`, 'notes');
          // A new name no rule covers is made by an append too, and appended to after.
          await held.fs.write(`${seen}/log.txt`, 'L1', { append: true });
          await held.fs.write(`${seen}/log.txt`, 'L2', { append: true });
          await new Promise((resolve) => setTimeout(resolve, 200));
        },
        { grants: { read: [grant], write: ['/ctl'] } },
      );
      expect(result.stdout).toContain('END');
      expect(result.stdout).toContain('notes.txt');
      expect(result.stdout).not.toMatch(/b\.key|c\.key/);
      expect(await readFile(path.join(held.dir, seen, 'log.txt'), 'utf8')).toBe('L1L2');
      // A refused append made no name.
      await expect(readFile(path.join(held.dir, seen, 'c.key'))).rejects.toMatchObject({ code: 'ENOENT' });
      await held.fs.write(`${seen}/b.key`, 'B-SECRET');
    },
  );

  it('a held file with a second name is not rewritten in place (the other name may be readable)', async () => {
    await link(path.join(held.dir, 'free.txt'), path.join(held.dir, 'keys/z.key'));
    await whileRunning('true', 'true', async () => {
      await expect(held.fs.write('/keys/z.key', 'Z-SECRET')).rejects.toMatchObject({ code: 'EACCES' });
    });
    expect(await readFile(path.join(held.dir, 'free.txt'), 'utf8')).toBe('free');
  });

  it('a file granted alone inside a hidden directory: the mount on the grant is held', async () => {
    const result = await whileRunning(
      'cat /workspace/vault/v.txt >> /tmp/seen 2>/dev/null',
      'cat /tmp/seen; echo END',
      async () => {
        await held.fs.write('/vault/v.txt', 'NEW-VAULT');
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      { grants: { read: ['/vault/v.txt'], write: ['/ctl'] } },
    );
    expect(result.stdout).not.toContain('NEW-VAULT');
    expect(await readFile(path.join(held.dir, 'vault/v.txt'), 'utf8')).toBe('NEW-VAULT');
  });
});

describe.skipIf(!ready)('a long-lived MCP server keeps what its mounts hold while the fs driver writes', () => {
  it('a hidden file rewritten by FS_WRITE stays hidden from the running server, a read-only one read-only; for a new name it covers the server is stopped first', async () => {
    const opened = await openDrivers({
      workspace: held.dir,
      allowPrivate: () => false,
      mcp: { servers: { files: filesystem() }, shadows: shadowedSyscall },
      fsRules: () => RULES,
    });
    try {
      const caps = ['fs.read:/**', 'fs.write:/**', 'mcp:files/*'];
      const set = new CapabilitySet(caps);
      const files = scopeDrivers(opened, {
        pid: 1,
        tree: 1,
        signal: new AbortController().signal,
        allows: (c) => set.allows(c),
        caps,
        cwd: '/',
      }).mcp;
      const answer = (tool: string, args: Record<string, unknown>) =>
        files.call({ server: 'files', tool, arguments: args }).then(
          (value) => JSON.stringify(value),
          (error: unknown) => `refused: ${String(error)}`,
        );
      // Started, under its mounts.
      expect(await answer('read_text_file', { path: '/workspace/keys/a.key' })).not.toContain('OLD-KEY');
      expect(holderCount()).toBe(1);
      await held.fs.write('/keys/a.key', 'NEW-SECRET');
      await held.fs.write('/conf/c.yaml', 'new-conf');
      expect(await answer('read_text_file', { path: '/workspace/keys/a.key' })).not.toContain('NEW-SECRET');
      await answer('write_file', { path: '/workspace/conf/c.yaml', content: 'HACKED' });
      expect(await readFile(path.join(held.dir, 'conf/c.yaml'), 'utf8')).toBe('new-conf');
      // A new name its read rule covers: the server is stopped first, and at its next use it starts again with it hidden.
      await held.fs.write('/keys/b.key', 'B-SECRET');
      expect(holderCount()).toBe(0);
      expect(await readFile(path.join(held.dir, 'keys/b.key'), 'utf8')).toBe('B-SECRET');
      expect(await answer('read_text_file', { path: '/workspace/keys/b.key' })).not.toContain('B-SECRET');
      expect(holderCount()).toBe(1);
    } finally {
      await closeDrivers(opened);
    }
    expect(holderCount()).toBe(0);
  }, 60_000);
});
