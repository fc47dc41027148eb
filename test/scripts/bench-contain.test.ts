/**
 * `npm run bench` leaves nothing running and nothing on disk when a bench is killed: through real
 * processes, the runner (bench/run.ts, bench/contain.ts) runs `cluster-move`, a bench that starts a
 * throwaway PostgreSQL; once its postmaster is up the bench is SIGKILLed, or the runner is sent
 * SIGTERM, or the bench is killed at its time limit, or the runner is SIGKILLed and the next run
 * cleans up. Then no postmaster, no process of the run and no temp dir is left, nor the
 * postmaster's shared-memory segment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { pgSkipReason } from '../helpers/postgres.js';
import { until } from '../helpers/until.js';

const RUNNER = path.join(ROOT, 'bench', 'run.ts');
const skip = process.platform !== 'linux' ? 'reads /proc' : pgSkipReason();

const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
/** Running, not a zombie (the container's pid 1 may never reap an orphan). */
const running = (pid: number): boolean => {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
};
const procs = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
/** Processes a runner started: the mark every process of its benches inherits. */
const markedBy = (runner: number): number[] =>
  procs().filter((pid) =>
    read(`/proc/${pid}/environ`)
      .split('\0')
      .some((e) => e.startsWith(`AOS_BENCH_RUN=${runner}.`)),
  );
const parentOf = (pid: number): number => {
  const stat = read(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

interface Run {
  runner: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

let tmp = '';
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function runBench(...extra: string[]): Run {
  // Where the runner makes each bench's own TMPDIR: its PostgreSQL's data is made inside.
  tmp = mkdtempSync(path.join(os.tmpdir(), 'aos-contain-'));
  chmodSync(tmp, 0o711);
  const runner = spawn(process.execPath, ['--import', 'tsx', RUNNER, ...extra], {
    cwd: ROOT,
    env: { ...process.env, AOS_BENCH_TMP: tmp },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(runner);
  let stderr = '';
  runner.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
  return { runner, stderr: () => stderr, exited };
}

/** The bench's postmaster, once it is up: its pid and shared-memory segment (postmaster.pid). */
async function postmaster(run: Run): Promise<{ pid: number; shmid: number }> {
  let found: { pid: number; shmid: number } | null = null;
  await until(
    () => {
      for (const scratch of readdirSync(tmp))
        for (const pg of existsSync(path.join(tmp, scratch)) ? readdirSync(path.join(tmp, scratch)) : []) {
          const lines = read(path.join(tmp, scratch, pg, 'data', 'postmaster.pid')).split('\n');
          if (lines[7]?.trim() !== 'ready') continue;
          found = { pid: Number(lines[0]), shmid: Number(lines[6]?.trim().split(/\s+/)[1]) };
        }
      return found !== null;
    },
    90_000,
    "the bench's PostgreSQL to be up",
  );
  return found as unknown as { pid: number; shmid: number };
}

function expectNothingLeft(runner: number, pg: { pid: number; shmid: number }): void {
  expect(running(pg.pid)).toBe(false);
  expect(markedBy(runner).filter(running)).toEqual([]);
  expect(readdirSync(tmp)).toEqual([]);
  const segments = read('/proc/sysvipc/shm')
    .split('\n')
    .map((l) => Number(l.trim().split(/\s+/)[1]));
  expect(segments).not.toContain(pg.shmid);
}

describe.skipIf(skip)('a killed bench leaves nothing behind', () => {
  it('the bench SIGKILLed: its PostgreSQL, processes and files are taken back, the bench is reported failed', async () => {
    const run = runBench('cluster-move', '--quick');
    const pg = await postmaster(run);
    const bench = markedBy(run.runner.pid ?? 0).find((pid) => parentOf(pid) === run.runner.pid);
    expect(bench).toBeDefined();
    process.kill(bench as number, 'SIGKILL');
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/cluster-move failed \(killed by SIGKILL\)/);
    expectNothingLeft(run.runner.pid ?? 0, pg);
  }, 120_000);

  it('the runner sent SIGTERM: it kills the running bench and all it started before it exits', async () => {
    const run = runBench('cluster-move', '--quick');
    const pg = await postmaster(run);
    run.runner.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.stderr()).toMatch(/stopped by SIGTERM/);
    expectNothingLeft(run.runner.pid ?? 0, pg);
  }, 120_000);

  it('the runner sent SIGTERM while two untimed benches run side by side: both are killed with all they started', async () => {
    const run = runBench('cluster-chaos', 'soak', '--quick');
    const runner = run.runner.pid ?? 0;
    // Both benches are the runner's children at once (untimed benches run two at a time).
    await until(
      () => markedBy(runner).filter((pid) => parentOf(pid) === runner && running(pid)).length === 2,
      60_000,
      'both benches to be running',
    );
    const pg = await postmaster(run);
    run.runner.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.stderr()).toMatch(/stopped by SIGTERM: the running benches and all they started were killed/);
    expectNothingLeft(runner, pg);
  }, 120_000);

  it('a bench past its time limit is killed with all it started and counted as failed', async () => {
    // A bench that hangs: held up past a 1 s limit by the PostgreSQL it starts.
    const run = runBench('cluster-move', '--quick', '--limit-s', '1');
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/cluster-move did not finish in 1 s: killed with all it started, failed/);
    expect(markedBy(run.runner.pid ?? 0).filter(running)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  }, 120_000);

  it('a runner SIGKILLed (it cannot clean up): the next run takes back what it left', async () => {
    const run = runBench('cluster-move', '--quick');
    const pg = await postmaster(run);
    const first = run.runner.pid ?? 0;
    run.runner.kill('SIGKILL');
    await run.exited;
    expect(running(pg.pid)).toBe(true);
    // The next run (of a bench that is not there: it only cleans up) in the same temp dir.
    const next = spawn(process.execPath, ['--import', 'tsx', RUNNER, 'no-such-bench'], {
      cwd: ROOT,
      env: { ...process.env, AOS_BENCH_TMP: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    started.push(next);
    let stderr = '';
    next.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => next.once('exit', resolve));
    expect(stderr).toMatch(/killed what an earlier run left running/);
    expectNothingLeft(first, pg);
  }, 120_000);
});
