/**
 * Sandbox cgroups an earlier kernel left (it died before removing them) are killed and removed:
 * by sweepStaleSandboxes, and by the daemon as it starts. Sequential (vitest.config.ts): any kernel
 * that starts sweeps every stale run on the machine, so no other test may run beside these.
 * Each stale cgroup is made by hand here,
 * in every hierarchy aos uses, with a live `sleep` in it. Runs of a live owner are left alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyCgroups, readStartTime } from '../../../drivers/exec/run-cgroups.js';
import { sandboxCgroupGroups } from '../../../drivers/exec/sandbox-cgroup.js';
import { sweepStaleSandboxes } from '../../../drivers/exec/stale-sandboxes.js';
import { makeHome, type TestHome } from '../../helpers/daemon.js';

const groups = await sandboxCgroupGroups();
if (groups.length === 0)
  console.log('no writable cgroups (not root, or no pids controller): stale-sandbox sweep tests skipped');
// A pid above pid_max never belongs to a running process.
const DEAD_PID = Number(await readFile('/proc/sys/kernel/pid_max', 'utf8')) + 1;

interface HandMadeRun {
  name: string;
  dirs: string[];
  member: ChildProcess;
  memberExit: Promise<unknown[]>;
}

const made: HandMadeRun[] = [];
let home: TestHome | null = null;
afterEach(async () => {
  for (const run of made.splice(0)) {
    run.member.kill('SIGKILL');
    await destroyCgroups(run.dirs);
  }
  await home?.dispose();
  home = null;
});

/** A run cgroup named `name` in every hierarchy, holding a live sleep. */
async function makeRun(name: string): Promise<HandMadeRun> {
  const dirs = groups.map((group) => path.join(group, name));
  const member = spawn('sleep', ['600'], { stdio: 'ignore' });
  const run: HandMadeRun = { name, dirs, member, memberExit: once(member, 'exit') };
  made.push(run);
  for (const dir of dirs) {
    await mkdir(dir);
    await writeFile(path.join(dir, 'cgroup.procs'), String(member.pid));
  }
  return run;
}

const MEMBER_EXIT_TIMEOUT_MS = 15_000;
const random = (): string => randomBytes(6).toString('hex');

async function expectSwept(run: HandMadeRun): Promise<void> {
  const exit = await Promise.race([run.memberExit, sleep(MEMBER_EXIT_TIMEOUT_MS).then(() => ['still running', null])]);
  expect({ code: exit[0], signal: exit[1] }, `the sleep in ${run.name}`).toEqual({ code: null, signal: 'SIGKILL' });
  for (const dir of run.dirs) expect(existsSync(dir), dir).toBe(false);
}

describe.skipIf(groups.length === 0)('stale sandbox cgroups', () => {
  it('kills the members of runs whose owner is gone, then removes them; live owners keep theirs', async () => {
    const ownStart = await readStartTime(process.pid);
    const deadOwner = await makeRun(`run-${DEAD_PID}-12345-${random()}`);
    const olderFormat = await makeRun(`run-${DEAD_PID}-${random()}`);
    // Our pid, but another start time: the pid was reused after its owner died.
    const reusedPid = await makeRun(`run-${process.pid}-1-${random()}`);
    const live = await makeRun(`run-${process.pid}-${ownStart}-${random()}`);

    await sweepStaleSandboxes();

    for (const run of [deadOwner, olderFormat, reusedPid]) await expectSwept(run);
    expect(live.member.exitCode).toBeNull();
    for (const dir of live.dirs) expect(existsSync(dir), dir).toBe(true);
  });

  it('are swept by the daemon as it starts, and logged', async () => {
    const stale = await makeRun(`run-${DEAD_PID}-12345-${random()}`);
    home = await makeHome();

    const start = await home.cli(['kernel', 'start']);
    expect(start, start.stderr).toMatchObject({ code: 0 });

    await expectSwept(stale);
    const log = await readFile(path.join(home.home, 'kernel.log'), 'utf8');
    expect(log).toContain(stale.name);
  });
});
