/**
 * A kernel SIGKILLed with an EXEC_CMD in flight leaves no process of that sandbox behind, with
 * cgroups and without, including when it dies while bwrap is still setting the sandbox up (bwrap's
 * own --die-with-parent is armed only after that). The kernel is a real one in a child process.
 * Sequential (vitest.config.ts): every kernel that starts sweeps every stale run cgroup on the machine,
 * the dead kernel's included, and its cgroup.kill would do the guard's work in its place.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { sandboxCgroupGroups } from '../../../drivers/exec/sandbox-cgroup.js';
import { sweepStaleSandboxes } from '../../../drivers/exec/stale-sandboxes.js';
import { ROOT } from '../../helpers/cli.js';
import { until } from '../../helpers/until.js';
import { announceSkip, makeTempDir, removeDir } from './exec-helpers.js';
import { descendantsOf, type HostProc, runningWith, stillRunning } from './host-procs.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/exec-kernel.ts');
const bwrap = await findBwrap();
announceSkip(bwrap);
const groups = bwrap ? await sandboxCgroupGroups() : [];
if (bwrap && groups.length === 0)
  console.log('no writable cgroups (not root, or no pids controller): the cgroup case is skipped');

interface RunningKernel {
  child: ChildProcess;
  exited: Promise<unknown>;
  stderr(): string;
}

let dir = '';
let kernel: RunningKernel | null = null;
let seen: HostProc[] = [];
let marker = '';

afterEach(async () => {
  // Whatever a failed run left: kill it here so it does not outlive the test.
  kernel?.child.kill('SIGKILL');
  for (const proc of [...(await stillRunning(seen)), ...(await runningWith(marker))]) {
    process.kill(proc.pid, 'SIGKILL');
  }
  await writeFile(path.join(dir, 'GO'), '').catch(() => undefined);
  await sweepStaleSandboxes();
  await removeDir(dir);
  kernel = null;
  seen = [];
});

function startKernel(cmd: string, env: NodeJS.ProcessEnv): RunningKernel {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, cmd], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, exited: once(child, 'exit'), stderr: () => stderr };
}

/** Polls the kernel's process tree until `ready` holds for it; returns that tree. */
async function waitForTree(pid: number, ready: (tree: HostProc[]) => boolean, what: string): Promise<HostProc[]> {
  let tree: HostProc[] = [];
  await until(async () => ready((tree = await descendantsOf(pid))), 30_000, what).catch((error: Error) => {
    throw new Error(`${error.message}; kernel stderr: ${kernel?.stderr() ?? ''}`);
  });
  return tree;
}

/** Kill -9 the kernel, then wait (generously) for every process of its sandbox to be gone. */
async function killKernelAndWatch(tree: HostProc[], afterDeath?: () => Promise<void>): Promise<HostProc[]> {
  seen = tree;
  kernel?.child.kill('SIGKILL');
  await kernel?.exited;
  await afterDeath?.();
  let survivors: HostProc[] = [];
  const gone = async (): Promise<boolean> => {
    survivors = [...(await stillRunning(tree)), ...(await runningWith(marker))];
    return survivors.length === 0;
  };
  await until(gone, 15_000).catch(() => undefined);
  return survivors;
}

// A test waits up to 30 s for the sandbox to start and 15 s for it to go: under load both take long.
const TEST_TIMEOUT_MS = 90_000;

const isSandboxCommand = (proc: HostProc): boolean => proc.comm === 'sleep';
const describeProcs = (procs: HostProc[]): string[] =>
  procs.map((proc) => `${proc.pid} ${proc.comm} (parent ${proc.ppid})`);

const cases = [
  { name: 'with cgroups', cgroups: true, env: {}, skip: groups.length === 0 },
  { name: 'without cgroups', cgroups: false, env: { AOS_EXEC_CGROUP: 'none' }, skip: false },
];

describe.skipIf(!bwrap)('a SIGKILLed kernel takes its sandboxes with it', () => {
  for (const { name, cgroups, env, skip } of cases) {
    describe.skipIf(skip)(name, () => {
      it(
        'kills the command it was running',
        async () => {
          dir = await makeTempDir('aos-exec-death-');
          marker = `aos-death-${randomBytes(6).toString('hex')}`;
          kernel = startKernel(`sleep 600; : ${marker}`, env);
          const tree = await waitForTree(
            kernel.child.pid ?? 0,
            (procs) => procs.some(isSandboxCommand),
            'the sandboxed sleep to start',
          );
          const runs = await listRuns(kernel.child.pid ?? 0);
          expect(runs).toHaveLength(cgroups ? 1 : 0);

          const survivors = await killKernelAndWatch(tree);
          expect(describeProcs(survivors)).toEqual([]);
          // The dead kernel's run cgroup is empty; the next sweep removes it. Another aos on this
          // machine (a test run in another checkout) may have swept it first: what counts is that the
          // sweep leaves none behind.
          const swept = await sweepStaleSandboxes();
          expect(swept.failed.filter((name) => runs.includes(name))).toEqual([]);
          expect(await listRuns(kernel.child.pid ?? 0)).toEqual([]);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'kills a sandbox that was still being set up',
        async () => {
          dir = await makeTempDir('aos-exec-setup-death-');
          marker = `aos-setup-death-${randomBytes(6).toString('hex')}`;
          const slowBwrap = await writeSlowBwrap(bwrap ?? '', path.join(dir, 'GO'));
          kernel = startKernel(`sleep 600; : ${marker}`, { ...env, AOS_BWRAP: slowBwrap });
          // bwrap's second process exists, and cannot pass its set-up (nor arm its parent-death signal) before GO.
          const tree = await waitForTree(kernel.child.pid ?? 0, hasInnerBwrap, 'bwrap to start setting up');

          const survivors = await killKernelAndWatch(tree, () => writeFile(path.join(dir, 'GO'), ''));
          expect(describeProcs(survivors)).toEqual([]);
        },
        TEST_TIMEOUT_MS,
      );
    });
  }
});

function hasInnerBwrap(tree: HostProc[]): boolean {
  const bwraps = new Set(tree.filter((proc) => proc.comm === 'bwrap').map((proc) => proc.pid));
  return tree.some((proc) => proc.comm === 'bwrap' && bwraps.has(proc.ppid));
}

/** A bwrap that holds the sandbox in its set-up (--block-fd) until `go` exists. */
async function writeSlowBwrap(realBwrap: string, go: string): Promise<string> {
  const file = path.join(dir, 'slow-bwrap');
  const wait = `until [ -e '${go}' ]; do sleep 0.05; done`;
  await writeFile(file, `#!/bin/bash\nexec '${realBwrap}' --block-fd 9 "$@" 9< <(${wait})\n`);
  await chmod(file, 0o755);
  return file;
}

/** Run cgroups (in the first hierarchy) named for the given kernel pid. */
async function listRuns(pid: number): Promise<string[]> {
  const first = groups[0];
  if (!first) return [];
  return (await readdir(first)).filter((name) => name.startsWith(`run-${pid}-`));
}
