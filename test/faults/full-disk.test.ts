/**
 * Issue 9, item 4: AOS_HOME on a small tmpfs that fills up. The daemon stays up, parks the process
 * (blocked, "disk full"), refuses new work with ENOSPC, and carries on when space returns — and the
 * exit it reports at the end is the one that stays. Needs root to mount the tmpfs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../sys/host/pid-file.js';
import { waitForRows } from '../helpers/kernel-probe.js';
import { call, type FaultHome, makeFaultHome } from './fault-home.js';

const isRoot = process.getuid?.() === 0;
let mnt = '';
let t: FaultHome | null = null;

afterEach(async () => {
  await t?.dispose();
  t = null;
  if (mnt) {
    execFileSync('umount', ['-l', mnt]);
    await rm(mnt, { recursive: true, force: true });
    mnt = '';
  }
});

function fill(dir: string): void {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
  } catch {
    // dd stops with ENOSPC: that is the point.
  }
}

describe.skipIf(!isRoot)('a full disk under AOS_HOME (needs root for a tmpfs)', () => {
  it('parks the process as "disk full", refuses spawns with ENOSPC, stays up, and resumes when space returns', async () => {
    mnt = await mkdtemp(path.join(os.tmpdir(), 'aos-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt]);
    t = await makeFaultHome({}, mnt);
    const chatter = call('SYS_WRITE_STDOUT', { text: 'y'.repeat(4000) });
    const turns = Array.from({ length: 60 }, () => `${chatter}\n${call('SLEEP', { seconds: 0.05 })}`);
    const model = await t.tape({ root: [...turns, call('SYS_EXIT', { code: 0 })] });
    const spawned = await t.cli(['spawn', 'chatter', '--model', model, '--detach', '--json']);
    expect(spawned.code, spawned.stderr).toBe(0);
    const pid = (JSON.parse(spawned.stdout) as { pid: number }).pid;
    const daemon = await t.daemonPid();
    fill(mnt);

    const parked = await waitForRows(t.home, (rows) => rows.get(pid)?.wait === 'disk full', {
      timeoutMs: 30_000,
      what: 'the process to park',
    });
    expect(parked.get(pid)).toMatchObject({ state: 'blocked', wait: 'disk full', exit_code: null });
    const refused = await t.cli(['spawn', 'more', '--model', model, '--detach']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/spawn refused: the kernel cannot record anything .*resumes when space returns/);
    const status = await t.cli(['kernel', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);

    await rm(path.join(mnt, 'filler'));
    const done = await waitForRows(t.home, (rows) => rows.get(pid)?.state === 'exited', {
      timeoutMs: 60_000,
      what: 'the process to finish',
    });
    expect(done.get(pid)).toMatchObject({ exit_code: 0, exit_reason: 'exited', turns: 61 });
    expect(daemon !== null && isAlive(daemon)).toBe(true);
    expect(await t.daemonPid()).toBe(daemon);
    // What was reported stays: after a SIGKILL and restart the exit is still there.
    await t.sigkill();
    await t.start();
    const after = await waitForRows(t.home, (rows) => rows.has(pid), { what: 'the process row' });
    expect(after.get(pid)).toMatchObject({ state: 'exited', exit_code: 0 });
  }, 120_000);
});
