/**
 * A process's working directory (a unit's `workdir`, `aos spawn --workdir`, SPAWN_AGENT's `workdir`):
 * relative paths land there for every call that names a path — the file opened, the capability
 * asked, the journal's record — commands start there, children inherit it, a restart keeps it. It is
 * never a way out: `..` is refused, and an absolute path is the workspace's as always.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import YAML from 'yaml';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/index.js';
import { buildSystemPrompt } from '../../kernel/context/context.js';
import type { Pcb } from '../../sys/types.js';
import { Kernel } from '../../kernel/kernel.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('the working directory', () => {
  it('takes relative paths to it for FS_WRITE, FS_READ and FS_LIST, and asks capabilities of where they land', async () => {
    h = await startHarness(
      {
        root: [
          [
            call('FS_WRITE', { path: 'notes.md', content: 'hi' }),
            call('FS_WRITE', { path: './sub/deep.txt', content: 'x' }),
            call('FS_READ', { path: 'notes.md' }),
            call('FS_LIST', {}),
            call('FS_WRITE', { path: '/top.txt', content: 'root' }),
            call('FS_READ', { path: '../secret.txt' }),
          ].join('\n'),
          EXIT,
        ],
      },
      { rootCapabilities: ['fs.read:/**', 'fs.write:/reports/**'] },
    );
    await writeFile(path.join(h.workspace, 'secret.txt'), 'secret');
    const pcb = await h.run({ workdir: 'reports' });
    expect(pcb.exitCode).toBe(0);
    const [write, deep, read, list, top, escape] = h.results(pcb.pid);
    expect(write).toMatchObject({ ok: true, value: { path: '/reports/notes.md', bytes: 2 } });
    expect(deep).toMatchObject({ ok: true, value: { path: '/reports/sub/deep.txt' } });
    expect(await readFile(path.join(h.workspace, 'reports/notes.md'), 'utf8')).toBe('hi');
    expect(read).toMatchObject({ ok: true, value: { path: '/reports/notes.md', content: 'hi' } });
    expect(list).toMatchObject({ ok: true, value: { path: '/reports' } });
    expect((list?.value as { entries: Array<{ name: string }> }).entries.map((e) => e.name).sort()).toEqual([
      'notes.md',
      'sub',
    ]);
    // An absolute path is the workspace's: fs.write:/reports/** does not cover /top.txt.
    expect(top).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(top?.message).toContain('fs.write:/top.txt');
    // `..` never climbs out of the working directory.
    expect(escape).toMatchObject({ ok: false, errno: 'EACCES' });
    // The model is told where it starts.
    const ended = h.kernel.pcb(pcb.pid);
    expect(ended?.cwd).toBe('/reports');
    expect(buildSystemPrompt(ended as Pcb)).toContain(
      'Your working directory is "/reports": relative paths (and commands) start there.',
    );
  });

  it('is recorded by the journal where the write landed, so rollback puts the right file back', async () => {
    h = await startHarness({ root: [call('FS_WRITE', { path: 'a.txt', content: 'new' }), EXIT] });
    await mkdir(path.join(h.workspace, 'w'), { recursive: true });
    await writeFile(path.join(h.workspace, 'w/a.txt'), 'old');
    await writeFile(path.join(h.workspace, 'a.txt'), 'untouched');
    const pcb = await h.run({ workdir: '/w' });
    expect(await readFile(path.join(h.workspace, 'w/a.txt'), 'utf8')).toBe('new');
    const changes = h.kernel.store.journal.entries([pcb.pid]);
    expect(changes.map((c) => c.path)).toEqual(['/w/a.txt']);
  });

  it('is inherited by a child, which may name its own relative to it; a malformed one is refused', async () => {
    h = await startHarness({
      root: [
        [
          call('SPAWN_AGENT', { role: 'w', name: 'same', task: 't' }),
          call('SPAWN_AGENT', { role: 'w', name: 'below', task: 't', workdir: 'drafts' }),
          call('SPAWN_AGENT', { role: 'w', name: 'out', task: 't', workdir: '../../etc' }),
        ].join('\n'),
        call('WAIT', {}),
        call('WAIT', {}),
        EXIT,
      ],
      same: [call('FS_WRITE', { path: 'same.txt', content: '1' }), EXIT],
      below: [call('FS_WRITE', { path: 'below.txt', content: '2' }), EXIT],
    });
    const pcb = await h.run({ workdir: 'proj' });
    const [same, below, out] = h.results(pcb.pid);
    expect(same?.ok && below?.ok).toBe(true);
    expect(out).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(out?.message).toMatch(/^workdir: /);
    expect(await readFile(path.join(h.workspace, 'proj/same.txt'), 'utf8')).toBe('1');
    expect(await readFile(path.join(h.workspace, 'proj/drafts/below.txt'), 'utf8')).toBe('2');
  });

  it('survives a kernel restart with the process', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-workdir-'));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(
      tape,
      YAML.stringify({
        agents: {
          root: [
            call('SYS_READ_STDIN', { timeout_s: 600 }),
            call('FS_WRITE', { path: 'after.txt', content: 'yes' }),
            EXIT,
          ],
        },
      }),
    );
    const options = {
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'ipc'],
      storeFile: path.join(dir, 'aos.db'),
      cwd: dir,
    };
    try {
      const first = await Kernel.create(options);
      const pcb = await first.spawn({ task: 't', model: `replay:${tape}`, workdir: 'kept' });
      await until(() => first.pcb(pcb.pid)?.state === 'blocked');
      await first.close();
      const second = await Kernel.create(options);
      try {
        expect(second.pcb(pcb.pid)?.cwd).toBe('/kept');
        second.send(pcb.pid, 'go on');
        expect((await second.waitExit(pcb.pid)).exitCode).toBe(0);
        expect(await readFile(path.join(options.workspace, 'kept/after.txt'), 'utf8')).toBe('yes');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!bwrap)('the working directory and EXEC_CMD', () => {
  it('starts commands there, made when the process may write there', async () => {
    h = await startHarness({ root: [call('EXEC_CMD', { cmd: 'pwd; echo hi > here.txt' }), EXIT] });
    const pcb = await h.run({ workdir: 'build/out' });
    const [run] = h.results(pcb.pid);
    expect(run).toMatchObject({ ok: true, value: { stdout: '/workspace/build/out\n', exit_code: 0 } });
    expect(await readFile(path.join(h.workspace, 'build/out/here.txt'), 'utf8')).toBe('hi\n');
  });

  it('says so when the working directory cannot be reached: not granted, or gone and not writable', async () => {
    h = await startHarness(
      { root: [call('EXEC_CMD', { cmd: 'pwd' }), call('EXEC_CMD', { cmd: 'pwd' }), EXIT] },
      { rootCapabilities: ['fs.read:/docs/**', 'exec'] },
    );
    const outside = await h.run({ workdir: 'elsewhere' });
    expect(h.results(outside.pid)[0]).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(h.results(outside.pid)[0]?.message).toContain('not among the paths your fs capabilities grant');
    const missing = await h.run({ workdir: 'docs/none' });
    expect(h.results(missing.pid)[0]).toMatchObject({ ok: false, errno: 'ENOENT' });
  });
});
