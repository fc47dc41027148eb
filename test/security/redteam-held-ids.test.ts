/**
 * A second red-team pass, over f7cbd46 (held paths by device and inode: drivers/fs-held.ts,
 * drivers/fs-held-target.ts). Same threat model as redteam-held-views.test.ts: other sandboxed
 * commands (same policy, write on the whole workspace) move and remove names while one runs, and
 * FS_WRITE writes. P1: what FS_WRITE writes where a running sandbox would see it at a name its read
 * rules cover is refused while it runs. P2: a file a running sandbox's mount hides never shows it
 * new content. I1, I2, M1, R1 and D1 failed on f7cbd46. R2 is a race at a sandbox's start that is
 * not held yet (skipped, named in the session note): bwrap mounts a hidden file's empty stand-in on
 * whatever has the name when it runs, after the hold has taken the file's id.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { holderCount } from '../../drivers/fs-held.js';
import { closeDrivers, openDrivers, scopeDrivers } from '../../drivers/index.js';
import { shadowedSyscall } from '../../kernel/kernel-open.js';
import { CapabilitySet } from '../../sys/capabilities.js';
import { filesystem, NODE_MODULES } from '../drivers/mcp/servers.js';
import { heldCommands, rulesOf, useHeldWorkspace, victimLoop } from '../helpers/held-sandbox.js';
import { until } from '../helpers/until.js';

const ready = Boolean(await findBwrap());
const held = useHeldWorkspace();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const { start, marker, stopAll, other, tryWrite } = heldCommands(held);

describe.skipIf(!ready)('held by identity, names removed and moved under it by another command', () => {
  // I1: a mount's id was a bare dev:ino. B (started before a.key existed: no mount on it) unlinked the
  // hidden file: the victim's mount went with it, the inode was freed, and ext4 handed its number to
  // the next file B made, which B put at /keys/a.key: the hold took it for the hidden one. Now the
  // held file is kept open (its number stays taken) and a removed one hides nothing.
  it('I1 a hidden file removed by another command: its inode stays held (its number is not given again) and a new file at its name is refused', async () => {
    await rm(path.join(held.dir, 'keys/a.key'));
    const b = start(
      'b',
      [
        'echo B-OWN > /workspace/keys/a.key; touch /workspace/ctl/b-made',
        'until [ -e /workspace/ctl/go ]; do sleep 0.02; done',
        'i=$(stat -c %i /workspace/keys/a.key); rm /workspace/keys/a.key',
        'for n in $(seq 1 200); do echo B-NEW > /workspace/keys/t$n; if [ "$(stat -c %i /workspace/keys/t$n)" = "$i" ]; then mv /workspace/keys/t$n /workspace/keys/a.key; echo REUSED; break; fi; done',
        'rm -f /workspace/keys/t*; true',
      ].join('; '),
    );
    await b.started;
    await marker('b-made');
    const victim = start('v', victimLoop('cat /workspace/keys/a.key >> /tmp/seen 2>/dev/null'));
    await victim.started;
    await writeFile(path.join(held.dir, 'ctl/go'), '');
    const moved = await b.done;
    // Kept open while held (fs-held-target.ts pin), its inode is not freed: its number is not given again.
    expect(moved.stdout).not.toContain('REUSED');
    const answer = await tryWrite('/keys/a.key', 'A-SECRET');
    await pause(300);
    const [result] = await stopAll(victim.done);
    expect(result?.stdout).toContain('END');
    expect({ answer, leaked: result?.stdout.includes('A-SECRET') }).toEqual({ answer: 'EBUSY', leaked: false });
  });

  // I2: I1 for a hidden directory (a glob read rule matching a directory: hide-dir, an empty tmpfs).
  it('I2 a hidden directory removed by another command: held the same way, a name below a new one is refused', async () => {
    const rules = rulesOf('  - deny: "fs.read:/keys/**/*.key"');
    await rm(path.join(held.dir, 'keys/a.key'));
    const b = start(
      'b',
      [
        'mkdir /workspace/keys/d.key; touch /workspace/ctl/b-made',
        'until [ -e /workspace/ctl/go ]; do sleep 0.02; done',
        'i=$(stat -c %i /workspace/keys/d.key); rmdir /workspace/keys/d.key',
        'for n in $(seq 1 200); do mkdir /workspace/keys/t$n; if [ "$(stat -c %i /workspace/keys/t$n)" = "$i" ]; then mv /workspace/keys/t$n /workspace/keys/d.key; echo REUSED; break; fi; done',
        'rmdir /workspace/keys/t* 2>/dev/null; true',
      ].join('; '),
      { rules },
    );
    await b.started;
    await marker('b-made');
    const victim = start('v', victimLoop('cat /workspace/keys/d.key/x.key >> /tmp/seen 2>/dev/null'), { rules });
    await victim.started;
    await writeFile(path.join(held.dir, 'ctl/go'), '');
    const moved = await b.done;
    expect(moved.stdout).not.toContain('REUSED');
    const answer = await tryWrite('/keys/d.key/x.key', 'X-SECRET');
    await pause(300);
    const [result] = await stopAll(victim.done);
    expect(result?.stdout).toContain('END');
    expect({ answer, leaked: result?.stdout.includes('X-SECRET') }).toEqual({ answer: 'EBUSY', leaked: false });
  });

  // M1: B1 for an MCP server. Its holder had no views (the whole workspace by real name), and held no
  // rule at all when none gave it a mount at its start: a declared path inside the workspace, bound by
  // inode and carried off by another command's mv, was not held.
  it('M1 an MCP server declaring <ws>/stage: /stage moved to /s2 by another command, FS_WRITE /s2/b.key stops it first (it would see /stage/b.key)', async () => {
    const rules = rulesOf('  - deny: "fs.read:/stage/*.key"');
    await mkdir(path.join(held.dir, 'stage'));
    await writeFile(path.join(held.dir, 'stage/readme'), 'stage');
    const stage = path.join(held.dir, 'stage');
    const opened = await openDrivers({
      workspace: held.dir,
      allowPrivate: () => false,
      mcp: {
        servers: {
          files: filesystem({
            args: [filesystem().args[0] as string, stage],
            read: [NODE_MODULES, stage],
            workspace: false,
          }),
        },
        shadows: shadowedSyscall,
      },
      fsRules: () => rules,
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
      expect(await answer('read_text_file', { path: `${stage}/readme` })).toContain('stage');
      expect(holderCount()).toBe(1);
      await other('mv /workspace/stage /workspace/s2 && mkdir /workspace/stage', rules);
      const wrote = await tryWrite('/s2/b.key', 'B-SECRET');
      const seen = await answer('read_text_file', { path: `${stage}/b.key` });
      expect({ wrote, leaked: seen.includes('B-SECRET') }).toEqual({ wrote: expect.any(String), leaked: false });
    } finally {
      await closeDrivers(opened);
    }
    expect(holderCount()).toBe(0);
  }, 90_000);

  // R1: the ids of a sandbox's views were taken at beginHold; the directory bwrap binds is opened by
  // path later (BindSources, after ruleMounts). A directory swapped at the view's path in between
  // (another command: mv stage oldN; mkdir stage) was what the sandbox saw, but not what it was held
  // by: once moved to /keys, a name FS_WRITE made in it was seen by no view and written (leaked on the
  // first attempt every time). Now BindSources binds only what the hold took: else EAGAIN, nothing run.
  // It leaked again now and then (CI 91, CI 104: one attempt in four) when the name was missing at
  // the very moment the hold began (between B's mv and its mkdir): the hold took no identity for the
  // view and BindSources bound the next directory unchecked. Now a view the hold has no identity for
  // is refused too (test/drivers/exec/bind-sources.test.ts, deterministic).
  it('R1 a granted directory swapped between the hold and its bind: the run is refused (EAGAIN), never run on another', async () => {
    const rules = rulesOf('  - deny: "fs.read:/keys/*.key"\n  - deny: "fs.read:/big/*.key"');
    await rm(path.join(held.dir, 'keys'), { recursive: true });
    // Slows the victim's planning (its glob walk), widening the window.
    await mkdir(path.join(held.dir, 'big'));
    for (let i = 0; i < 15000; i++) fs.writeFileSync(path.join(held.dir, 'big', `f${i}`), '');
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      await rm(path.join(held.dir, 'keys'), { recursive: true, force: true });
      await rm(path.join(held.dir, 'ctl/stop'), { force: true });
      await mkdir(path.join(held.dir, 'stage'), { recursive: true });
      const b = start(
        `b${attempt}`,
        `k=0; until [ -e /workspace/ctl/v${attempt} ]; do k=$((k+1)); mv /workspace/stage /workspace/old${attempt}x$k && mkdir /workspace/stage; done`,
        { rules },
      );
      await b.started;
      const victim = start(
        `v${attempt}`,
        `touch /workspace/stage/.mine; ${victimLoop('cat /workspace/stage/b.key >> /tmp/seen 2>/dev/null')}`,
        { rules, grants: { read: ['/big'], write: ['/ctl', '/stage'] } },
      );
      const ran = await Promise.race([
        victim.started.then(() => 'started'),
        victim.done.then(
          () => 'ended',
          (e: { code?: string }) => `failed ${e.code}`,
        ),
      ]);
      if (ran !== 'started') await writeFile(path.join(held.dir, `ctl/v${attempt}`), '');
      await b.done;
      if (ran !== 'started') {
        outcomes.push(ran);
        continue;
      }
      let leaked = false;
      try {
        // The directory the victim sees, wherever it is now, moved to /keys by another command.
        const mine = () => fs.readdirSync(held.dir).find((n) => fs.existsSync(path.join(held.dir, n, '.mine')));
        await until(() => mine() !== undefined, 5_000, '.mine').catch(() => undefined);
        const seenDir = mine();
        if (seenDir === undefined) {
          outcomes.push('no .mine');
          continue;
        }
        await other(`mv /workspace/${seenDir} /workspace/keys`, rules);
        const answer = await tryWrite('/keys/b.key', `B-SECRET-${attempt}`);
        await pause(300);
        await writeFile(path.join(held.dir, 'ctl/stop'), '');
        const result = await victim.done;
        leaked = result.stdout.includes(`B-SECRET-${attempt}`);
        outcomes.push(`${answer}${leaked ? ' LEAKED' : ''}`);
      } finally {
        await writeFile(path.join(held.dir, 'ctl/stop'), '');
        await victim.done.catch(() => undefined);
        for (const n of fs.readdirSync(held.dir))
          if (/^old|^stage$/.test(n)) await rm(path.join(held.dir, n), { recursive: true, force: true });
      }
      if (leaked) break;
    }
    console.log('R1 outcomes', outcomes);
    // One assertion, so that a failure shows every attempt's outcome and the holds left.
    expect({ holders: holderCount(), written: outcomes.filter((o) => o.startsWith('written')), outcomes }).toEqual({
      holders: 0,
      written: [],
      outcomes,
    });
  }, 120_000);

  // R2: the same window for a hidden file's mount. Its id is taken in planned() (lstat of
  // /keys/a.key); bwrap mounts the empty file on whatever is at that name when it runs. An earlier
  // command (no mount on /keys: started before any *.key) swaps a.key and an uncovered name (atomic
  // renameat2 RENAME_EXCHANGE) meanwhile: the mount may sit on the other file (it follows that file),
  // while the hold takes the one recorded for hidden at /keys/a.key; FS_WRITE rewrites it in place, seen.
  // Skipped: a known hole, not held yet. bwrap mounts the empty stand-in on whatever has the name when
  // it runs; closing it needs a check of what each mount sits on once the sandbox is up (through
  // /proc/<pid>/root), not built yet. Run it to see the leak (~2-5 attempts).
  it.skip("R2 (known race, not held yet) a hidden file swapped between planned() and bwrap's mount: FS_WRITE /keys/a.key is taken for hidden and seen", async () => {
    await rm(path.join(held.dir, 'keys/a.key'));
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      await rm(path.join(held.dir, 'ctl/stop'), { force: true });
      await rm(path.join(held.dir, 'keys'), { recursive: true, force: true });
      await mkdir(path.join(held.dir, 'keys'));
      const swap = `perl -e 'my ($x, $y) = ("/workspace/keys/a.key", "/workspace/keys/spare"); until (-e "/workspace/ctl/v${attempt}") { syscall(316, -100, $x, -100, $y, 2); select(undef, undef, undef, 0.004) }'`;
      const b = start(
        `b${attempt}`,
        `until [ -e /workspace/ctl/go${attempt} ]; do sleep 0.02; done; echo X-OLD > /workspace/keys/a.key; echo Y-OLD > /workspace/keys/spare; touch /workspace/ctl/made${attempt}; ${swap}`,
      );
      await b.started;
      await writeFile(path.join(held.dir, `ctl/go${attempt}`), '');
      await marker(`made${attempt}`);
      const victim = start(`v${attempt}`, victimLoop('cat /workspace/keys/a.key >> /tmp/seen 2>/dev/null'));
      const ran = await Promise.race([
        victim.started.then(() => 'started'),
        victim.done.then(
          () => 'ended',
          (e: { code?: string; message?: string }) => `failed ${e.code} ${e.message}`,
        ),
      ]);
      if (ran !== 'started') await writeFile(path.join(held.dir, `ctl/v${attempt}`), '');
      await b.done;
      if (ran !== 'started') {
        outcomes.push(ran);
        continue;
      }
      let leaked = false;
      try {
        const answer = await tryWrite('/keys/a.key', `A-SECRET-${attempt}`);
        await pause(300);
        await writeFile(path.join(held.dir, 'ctl/stop'), '');
        const result = await victim.done;
        leaked = result.stdout.includes(`A-SECRET-${attempt}`);
        outcomes.push(`${answer}${leaked ? ' LEAKED' : ''}`);
      } finally {
        await writeFile(path.join(held.dir, 'ctl/stop'), '');
        await victim.done.catch(() => undefined);
      }
      if (leaked) break;
    }
    expect(holderCount()).toBe(0);
    console.log('R2 outcomes', outcomes);
    expect(outcomes.filter((o) => o.includes('LEAKED'))).toEqual([]);
  }, 180_000);

  // D1 (a regression of f7cbd46): every write walked its directory's chain by `<dir>/../..`, whenever
  // any sandbox ran; past PATH_MAX (~1,365 levels) a legal write failed. Now one level at a time.
  it('D1 a deep write (1400 levels) while a whole-workspace command runs is written (the chain walked one level at a time)', async () => {
    const deep = Array.from({ length: 1400 }, () => 'd').join('/');
    fs.mkdirSync(path.join(held.dir, deep), { recursive: true });
    expect(await tryWrite(`/${deep}/f.txt`, 'before')).toBe('written');
    const victim = start('v', victimLoop('true'));
    await victim.started;
    const answer = await tryWrite(`/${deep}/f.txt`, 'during');
    await stopAll(victim.done);
    expect(answer).toBe('written');
  });
});

describe.skipIf(!ready)('ideas that held', () => {
  it('a hidden file moved by an earlier command to an uncovered name: its removal by the new name is refused, its write goes in place', async () => {
    await rm(path.join(held.dir, 'keys/a.key'));
    const b = start(
      'b',
      'echo B-OWN > /workspace/keys/a.key; touch /workspace/ctl/b-made; until [ -e /workspace/ctl/go ]; do sleep 0.02; done; mv /workspace/keys/a.key /workspace/gone; ln /workspace/gone /workspace/gone2',
    );
    await b.started;
    await marker('b-made');
    const victim = start('v', victimLoop('cat /workspace/gone /workspace/gone2 >> /tmp/seen 2>/dev/null'));
    await victim.started;
    await writeFile(path.join(held.dir, 'ctl/go'), '');
    expect((await b.done).exit_code).toBe(0);
    const removal = (p: string) =>
      held.fs.restore(p, null).then(
        (r) => r,
        (e: { code?: string }) => e.code ?? String(e),
      );
    const answers = [await removal('/gone'), await removal('/gone2'), await tryWrite('/gone', 'G-SECRET')];
    await pause(300);
    const [result] = await stopAll(victim.done);
    expect(answers).toEqual(['EBUSY', 'EBUSY', 'EACCES']);
    expect(result?.stdout).not.toContain('SECRET');
  });

  it('no regression: uncovered writes, writes inside a hidden directory and over a hidden file are allowed while a granted command runs', async () => {
    const victim = start('v', victimLoop('cat /workspace/vault/* /workspace/keys/* >> /tmp/seen 2>/dev/null'), {
      grants: { read: ['/keys', '/vault'], write: ['/ctl'] },
    });
    await victim.started;
    await mkdir(path.join(held.dir, 'vault/sub/deeper'), { recursive: true });
    const answers = [
      await tryWrite('/free.txt', 'x'),
      await tryWrite('/new/dir.txt', 'x'),
      await tryWrite('/keys/plain.txt', 'x'),
      await tryWrite('/vault/v.txt', 'V-SECRET'),
      await tryWrite('/vault/new.txt', 'V-SECRET'),
      await tryWrite('/vault/sub/deeper/n.txt', 'V-SECRET', true),
      await tryWrite('/keys/a.key', 'A-SECRET'),
      await tryWrite('/keys/a.key', 'A-SECRET', true),
    ];
    await pause(300);
    const [result] = await stopAll(victim.done);
    expect(answers).toEqual(Array(8).fill('written'));
    expect(result?.stdout).not.toContain('SECRET');
  });

  it('a symlink loop or a long chain on the way is refused quickly, not walked', async () => {
    fs.symlinkSync('loop2', path.join(held.dir, 'loop1'));
    fs.symlinkSync('loop1', path.join(held.dir, 'loop2'));
    const victim = start('v', victimLoop('true'));
    await victim.started;
    const t0 = Date.now();
    const answer = await tryWrite('/loop1/x.key', 'x');
    const took = Date.now() - t0;
    await stopAll(victim.done);
    expect(answer).not.toBe('written');
    expect(took).toBeLessThan(2000);
  });
});
