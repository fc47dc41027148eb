/**
 * A red-team pass over the held views (9e782d0, drivers/fs-held.ts): another command with write on
 * the whole workspace moves names while a command runs, and FS_WRITE writes. Bind mounts hold
 * inodes, not names, so a running command's views and its mounts are held by device and inode
 * (fs-held-target.ts) and every name a file has — as named, as its real directory has it, as the
 * command sees it — is checked against the rules. Each test failed on 9e782d0 (B1–B4); the last
 * block holds ideas that did not get through then either.
 *
 * Threat model: other sandboxed commands (broad write grants, the same policy) and FS_WRITE.
 * P1: what FS_WRITE writes where a running command would see it at a name its read rules cover is
 * refused while it runs. P2: a file a running command's mount hides never shows it new content.
 * Not held (docs/policy.md): a file written where no rule covers it and moved under one afterwards
 * by a command that may write both places.
 */
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { runSandboxed } from '../../drivers/exec/run-sandboxed.js';
import { WorkspaceFs } from '../../drivers/fs/workspace-fs.js';
import { heldCommands, RULES, rulesOf, useHeldWorkspace, victimLoop } from '../helpers/held-sandbox.js';
import { until } from '../helpers/until.js';

// The fallback without procfs, switched on per test (detectProcFd is asked once per WorkspaceFs.open).
const noProc = vi.hoisted(() => ({ on: false }));
vi.mock(import('../../drivers/fs/host-confine.js'), async (original) => {
  const real = await original();
  return { ...real, detectProcFd: async (root: string) => (noProc.on ? false : real.detectProcFd(root)) };
});

const ready = Boolean(await findBwrap());
const held = useHeldWorkspace();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const { limits, start, stopAll, other, tryWrite } = heldCommands(held);

describe.skipIf(!ready)('a running command, names moved under it by another command', () => {
  // B1: a granted directory renamed by another command INTO a covered name. The command still sees
  // it under its old, uncovered name; the host name was checked only for views that held it by
  // name, so FS_WRITE /keys/*.key was made and seen. Every name it has is checked now.
  it('B1 a granted directory (/stage) moved to /keys by another command: FS_WRITE /keys/*.key is refused (seen as /stage/*.key)', async () => {
    await rm(path.join(held.dir, 'keys'), { recursive: true });
    await mkdir(path.join(held.dir, 'stage'));
    await writeFile(path.join(held.dir, 'stage/a.key'), 'stage-old');
    const victim = start('v', victimLoop('cat /workspace/stage/*.key >> /tmp/seen 2>/dev/null'), {
      grants: { read: ['/stage'], write: ['/ctl'] },
    });
    await victim.started;
    await other('mv /workspace/stage /workspace/keys');
    const answers = [
      await tryWrite('/keys/b.key', 'B-SECRET'), // new covered name
      await tryWrite('/keys/a.key', 'A-SECRET'), // existing covered name, replaced
      await tryWrite('/keys/a.key', 'APPENDED-SECRET', true),
    ];
    await pause(300);
    const [result] = await stopAll(victim.done);
    expect(result?.stdout).toContain('END');
    expect(answers).toEqual(['EBUSY', 'EBUSY', 'EBUSY']);
    expect(result?.stdout).toContain('stage-old');
    expect(result?.stdout).not.toContain('SECRET');
  });

  // B1b: the same through a FILE view (only directories were held by inode). A write aside leaves
  // the command the old inode, but an append lands in the very file it sees.
  it('B1b a granted file (/free.txt) moved to /keys/f.key: an append to /keys/f.key is refused (seen as /free.txt)', async () => {
    await rm(path.join(held.dir, 'keys/a.key')); // else the other command's /keys is a mount of its own (EXDEV)
    const victim = start('v', victimLoop('cat /workspace/free.txt >> /tmp/seen 2>/dev/null'), {
      grants: { read: ['/free.txt'], write: ['/ctl'] },
    });
    await victim.started;
    await other('mv /workspace/free.txt /workspace/keys/f.key');
    const answer = await tryWrite('/keys/f.key', '-F-SECRET', true);
    await pause(300);
    const [result] = await stopAll(victim.done);
    expect(result?.stdout).toContain('END');
    expect(answer).toBe('EBUSY');
    expect(result?.stdout).toContain('free');
    expect(result?.stdout).not.toContain('SECRET');
  });

  // B2: a held mount's path goes stale. Mounts sit on dentries, and a rename in another mount
  // namespace carries them along. A command that started before the covered file existed has no
  // mount on it, so it may rename it: the hidden file's mount in the victim moves to the new name,
  // the old (covered) name is free, and the hold took it for hidden by its path. A mount now hides
  // only what it was planned on (device and inode).
  it.each([
    { how: 'rename the held file', mv: 'mv /workspace/keys/a.key /workspace/keys/gone', grants: undefined },
    { how: 'rename its directory', mv: 'mv /workspace/keys /workspace/k2', grants: undefined },
    {
      how: 'rename the held file (victim granted /keys)',
      mv: 'mv /workspace/keys/a.key /workspace/keys/gone',
      grants: { read: ['/keys'], write: ['/ctl'] },
    },
  ])(
    'B2 a hidden file its mount holds, moved away by an earlier command ($how): a new /keys/a.key is refused',
    async ({ mv, grants }) => {
      await rm(path.join(held.dir, 'keys/a.key'));
      // B starts while no *.key is there (no mount on it), makes a.key, and renames it once told to.
      const b = start(
        'b',
        `echo B-OWN > /workspace/keys/a.key; touch /workspace/ctl/b-made; until [ -e /workspace/ctl/go ]; do sleep 0.02; done; ${mv}`,
      );
      await b.started;
      await until(
        async () => (await readFile(path.join(held.dir, 'ctl/b-made')).catch(() => null)) !== null,
        10_000,
        'b-made',
      );
      // The victim starts now: /keys/a.key exists and is hidden from it (held).
      const victim = start('v', victimLoop('cat /workspace/keys/a.key >> /tmp/seen 2>/dev/null'), {
        ...(grants ? { grants } : {}),
      });
      await victim.started;
      await writeFile(path.join(held.dir, 'ctl/go'), '');
      const moved = await b.done;
      expect(moved.exit_code, moved.stderr).toBe(0);
      const answer = await tryWrite('/keys/a.key', 'A-SECRET');
      await pause(300);
      const [result] = await stopAll(victim.done);
      expect(result?.stdout).toContain('END');
      expect({ answer, leaked: result?.stdout.includes('A-SECRET') }).toEqual({ answer: 'EBUSY', leaked: false });
    },
  );

  // B3: a name seen through two views at once. The victim is granted /pub and /keys; another command
  // moves /keys to /k2 and /pub into it. A name in /pub is now seen both as /pub/b.key and as
  // /keys/pub/b.key; only the nearest view's was checked.
  it('B3 two views nested by a move: a name seen both as /pub/b.key and /keys/pub/b.key is refused', async () => {
    const rules = rulesOf('  - deny: "fs.read:/keys/**/*.key"');
    await rm(path.join(held.dir, 'keys/a.key'));
    await mkdir(path.join(held.dir, 'pub'));
    const victim = start('v', victimLoop('cat /workspace/keys/pub/b.key >> /tmp/seen 2>/dev/null'), {
      rules,
      grants: { read: ['/pub', '/keys'], write: ['/ctl'] },
    });
    await victim.started;
    await other('mv /workspace/keys /workspace/k2 && mv /workspace/pub /workspace/k2/pub', rules);
    const answer = await tryWrite('/k2/pub/b.key', 'B-SECRET');
    await pause(300);
    const [result] = await stopAll(victim.done);
    expect(result?.stdout).toContain('END');
    expect({ answer, leaked: result?.stdout.includes('B-SECRET') }).toEqual({ answer: 'EBUSY', leaked: false });
  });

  // B4: without procfs (the fallback), an append to an existing file took its real path as
  // path.join(root, virtualPath): a symlinked directory on the way was not resolved, so the rule was
  // checked on /lnk/b.key only.
  it('B4 no procfs: an append to /lnk/b.key (lnk -> keys) is checked by its real name, /keys/b.key', async () => {
    noProc.on = true;
    let fs: WorkspaceFs;
    try {
      fs = await WorkspaceFs.open({
        root: held.dir,
        maxReadBytes: 1 << 20,
        maxWriteBytes: 1 << 20,
        maxListEntries: 1000,
        maxPathLength: 4096,
      });
    } finally {
      noProc.on = false;
    }
    await symlink('keys', path.join(held.dir, 'lnk'));
    // The victim makes /keys/b.key itself after its mounts (no mount on it), then reads it.
    const victim = start(
      'v',
      `sleep 0.2; : > /workspace/keys/b.key; touch /workspace/ctl/made; ${victimLoop('cat /workspace/keys/b.key >> /tmp/seen 2>/dev/null')}`,
    );
    await victim.started;
    await until(
      async () => (await readFile(path.join(held.dir, 'ctl/made')).catch(() => null)) !== null,
      10_000,
      'made',
    );
    const answer = await fs.write('/lnk/b.key', 'B-SECRET', { append: true }).then(
      () => 'written',
      (e: { code?: string }) => e.code ?? String(e),
    );
    await pause(300);
    const [result] = await stopAll(victim.done);
    fs.close();
    expect(result?.stdout).toContain('END');
    expect({ answer, leaked: result?.stdout.includes('B-SECRET') }).toEqual({ answer: 'EBUSY', leaked: false });
  });
});

describe.skipIf(!ready)('reached other ways, already held on 9e782d0', () => {
  it('with procfs, the B4 append through a symlinked directory is refused (its real name is read off the descriptor)', async () => {
    await symlink('keys', path.join(held.dir, 'lnk'));
    const victim = start(
      'v',
      `sleep 0.2; : > /workspace/keys/b.key; touch /workspace/ctl/made; ${victimLoop('cat /workspace/keys/b.key >> /tmp/seen 2>/dev/null')}`,
    );
    await victim.started;
    await until(
      async () => (await readFile(path.join(held.dir, 'ctl/made')).catch(() => null)) !== null,
      10_000,
      'made',
    );
    expect(await tryWrite('/lnk/b.key', 'B-SECRET', true)).toBe('EBUSY');
    expect(await tryWrite('/lnk/b.key', 'B-SECRET')).toBe('EBUSY');
    const [result] = await stopAll(victim.done);
    expect(result?.stdout).not.toContain('B-SECRET');
  });

  it('a granted directory moved, then reached through a symlink or a new symlink at its old name: refused', async () => {
    await rm(path.join(held.dir, 'keys/a.key'));
    const victim = start('v', victimLoop('cat /workspace/keys/*.key >> /tmp/seen 2>/dev/null'), {
      grants: { read: ['/keys'], write: ['/ctl'] },
    });
    await victim.started;
    await other(
      'mv /workspace/keys /workspace/k2 && ln -s k2 /workspace/keys && ln -s k2 /workspace/lnk && mkdir /workspace/k2/sub',
    );
    const answers = [
      await tryWrite('/keys/b.key', 'S1'),
      await tryWrite('/lnk/c.key', 'S2'),
      await tryWrite('/lnk/./d.key', 'S3', true),
      await tryWrite('/k2/sub/../e.key', 'S4'),
    ];
    await pause(200);
    const [result] = await stopAll(victim.done);
    expect(answers).toEqual(['EBUSY', 'EBUSY', 'EBUSY', 'EACCES']);
    expect(result?.stdout).not.toMatch(/S[1-4]/);
  });

  it("a file hard-linked into the victim's /keys by another command: FS_WRITE to either name is refused (nlink > 1)", async () => {
    await rm(path.join(held.dir, 'keys/a.key'));
    const victim = start('v', victimLoop('cat /workspace/keys/h.key >> /tmp/seen 2>/dev/null'), {
      grants: { read: ['/keys'], write: ['/ctl'] },
    });
    await victim.started;
    await other('ln /workspace/free.txt /workspace/keys/h.key');
    expect(await tryWrite('/free.txt', 'H-SECRET')).toBe('EACCES');
    expect(await tryWrite('/free.txt', 'H-SECRET', true)).toBe('EACCES');
    expect(await tryWrite('/keys/h.key', 'H-SECRET')).toMatch(/EACCES|EBUSY/);
    const [result] = await stopAll(victim.done);
    expect(result?.stdout).not.toContain('H-SECRET');
  });

  it('a read-only file: a command started before it existed cannot make or move names in its directory (names held)', async () => {
    await rm(path.join(held.dir, 'conf/c.yaml'));
    const b = start(
      'b',
      `until [ -e /workspace/ctl/go ]; do sleep 0.02; done; mv /workspace/conf/c.yaml /workspace/conf/gone 2>&1; mv /workspace/conf /workspace/c2 2>&1; echo > /workspace/conf/x 2>&1; true`,
    );
    await b.started;
    await held.fs.write('/conf/c.yaml', 'CONF');
    const victim = start('v', victimLoop('echo HACKED > /workspace/conf/c.yaml 2>/dev/null'));
    await victim.started;
    await writeFile(path.join(held.dir, 'ctl/go'), '');
    const tried = await b.done;
    // Each of the three fails inside B (read-only bind of /conf, its names held).
    const said = tried.stdout + tried.stderr;
    expect(said.match(/Read-only file system|Device or resource busy|Permission denied/g)?.length, said).toBe(3);
    await held.fs.write('/conf/c.yaml', 'CONF2');
    await pause(300);
    await stopAll(victim.done);
    expect(await readFile(path.join(held.dir, 'conf/c.yaml'), 'utf8')).toBe('CONF2');
  });

  it('a granted path that is a symlink is not mounted at all', async () => {
    await symlink('keys', path.join(held.dir, 'sl'));
    await expect(
      runSandboxed({
        cmd: 'true',
        workspace: held.dir,
        limits: limits(),
        fsRules: RULES,
        grants: { read: ['/sl'], write: ['/ctl'] },
      }),
    ).rejects.toMatchObject({ code: 'EACCES' });
  });
});
