/**
 * A benchmark run so that nothing it starts outlives it. Each bench runs in a process group of its
 * own, with a TMPDIR of its own (every temp dir it makes, a PostgreSQL's data and socket, a
 * daemon's home) and a mark in its environment that every process it starts inherits
 * (AOS_BENCH_RUN). When it ends — it exits, it is killed at its time limit, or the runner is stopped
 * by SIGINT/SIGTERM/SIGHUP — its group is killed, then any process still carrying the mark (a
 * daemon that made a session of its own, a PostgreSQL whose backends did: `setsid` does not clear
 * the environment), then a killed PostgreSQL's shared-memory segment is removed and the TMPDIR
 * deleted. A runner that was itself SIGKILLed cannot clean up: the next runner takes back what any
 * dead runner left. Linux (/proc); elsewhere only the process group is killed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The environment variable that marks a bench's processes: `<runner pid>.<n>`. */
export const MARK = 'AOS_BENCH_RUN';
/** A bench's TMPDIR is `<tmp>/aosb-<runner pid>-XXXXXX`: short, for the unix sockets made under it. */
const SCRATCH = /^aosb-(\d+)-/;
/** Where benches' TMPDIRs are made: $AOS_BENCH_TMP, or the runner's own temp dir. */
const base = (): string => process.env.AOS_BENCH_TMP || os.tmpdir();

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed at its time limit. */
  timedOut: boolean;
  /** Processes still running after it ended (pid and command line), now killed. */
  leftovers: string[];
  seconds: number;
}

interface Running {
  child: ChildProcess;
  token: string;
  scratch: string;
}

let counter = 0;
/** The benches running now (more than one when the runner runs benches side by side). */
const running = new Set<Running>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch {
    return [];
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The mark in a process's environment, or null (a zombie's environment reads empty). */
function markOf(pid: number): string | null {
  const entry = read(`/proc/${pid}/environ`)
    .split('\0')
    .find((e) => e.startsWith(`${MARK}=`));
  return entry ? entry.slice(MARK.length + 1) : null;
}

/** Live (not zombie) processes in group `pgid`. */
function inGroup(pgid: number): number[] {
  return pids().filter((pid) => {
    const stat = read(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && Number(fields[2]) === pgid;
  });
}

function describe(pid: number): string {
  return `${pid} ${read(`/proc/${pid}/cmdline`).split('\0').join(' ').trim().slice(0, 160)}`;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Kill, until none is left (5 s at most), the processes `which` finds; what was found first. */
function killAll(which: () => number[]): string[] {
  const seen = new Map<number, string>();
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; sleepSync(50)) {
    const found = which();
    if (!found.length) break;
    for (const pid of found) {
      if (!seen.has(pid)) seen.set(pid, describe(pid));
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
  return [...seen.values()];
}

/**
 * A PostgreSQL killed with SIGKILL leaves its (small) System V shared-memory segment; its
 * postmaster.pid names it (line 7: key and id). Removed when nothing is attached any more.
 */
function dropSharedMemory(dir: string, depth = 4): void {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const at = path.join(dir, e.name);
    if (e.isDirectory() && depth > 0) dropSharedMemory(at, depth - 1);
    if (!e.isFile() || e.name !== 'postmaster.pid') continue;
    const [key, id] = (read(at).split('\n')[6] ?? '').trim().split(/\s+/).map(Number);
    if (id) dropSegment(key ?? 0, id);
  }
}

/**
 * Remove one segment once nothing is attached. A process SIGKILLed a moment ago can still be on its
 * way out, attached (its /proc entry already unreadable, so the kill loop saw it gone): wait for the
 * attach count to reach 0 (3 s at most), never removing a segment something still uses.
 */
function dropSegment(key: number, id: number): void {
  for (const deadline = Date.now() + 3_000; ; sleepSync(50)) {
    const row = read('/proc/sysvipc/shm')
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number))
      .find((r) => r[0] === key && r[1] === id);
    // Columns: key shmid perms size cpid lpid nattch ...
    if (!row) return;
    if (row[6] === 0) {
      spawnSync('ipcrm', ['-m', String(id)], { stdio: 'ignore' });
      return;
    }
    if (Date.now() > deadline) return;
  }
}

/** Everything a bench left, taken back: its group, its marked processes, its PostgreSQL's memory, its TMPDIR. */
function takeBack(run: Running): string[] {
  const pgid = run.child.pid ?? 0;
  const leftovers = killAll(() => [
    ...new Set([...(pgid ? inGroup(pgid) : []), ...pids().filter((pid) => markOf(pid) === run.token)]),
  ]);
  // Where there is no /proc to read (not Linux), the group is all there is to kill.
  try {
    if (pgid) process.kill(-pgid, 'SIGKILL');
  } catch {
    // No group left.
  }
  dropSharedMemory(run.scratch);
  rmSync(run.scratch, { recursive: true, force: true });
  return leftovers;
}

/** Take back what runners that died without cleaning up (SIGKILL) left: their marked processes and TMPDIRs. */
export function sweepDeadRunners(): string[] {
  const dead = (token: string | null): boolean => token !== null && !alive(Number(token.split('.')[0]));
  const leftovers = killAll(() => pids().filter((pid) => dead(markOf(pid))));
  const dir = base();
  for (const name of readdirSync(dir)) {
    const m = SCRATCH.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    dropSharedMemory(path.join(dir, name));
    rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  return leftovers;
}

/** Run one bench contained; killed with all it started after `limitMs`. */
export function runContained(
  file: string,
  args: string[],
  options: { limitMs: number; stdout: 'inherit' | 'ignore' },
): Promise<Outcome> {
  const started = performance.now();
  const scratch = mkdtempSync(path.join(base(), `aosb-${process.pid}-`));
  // Traversable by a PostgreSQL run as the `postgres` user (its own directory inside is its own).
  chmodSync(scratch, 0o711);
  // A bench run from source compiles through tsx, whose cache is in the temp dir: the runner's,
  // linked in, not a cold compile of the whole tree per bench (removing the TMPDIR unlinks it).
  const tsxCache = path.join(os.tmpdir(), `tsx-${os.userInfo().uid}`);
  if (existsSync(tsxCache)) symlinkSync(tsxCache, path.join(scratch, path.basename(tsxCache)));
  const token = `${process.pid}.${++counter}`;
  const child = spawn(file, args, {
    detached: true,
    stdio: ['ignore', options.stdout, 'inherit'],
    // A throwaway PostgreSQL's initdb is copied from a template made once (test/helpers/postgres.ts):
    // kept in the runner's temp dir, not remade in each bench's.
    env: {
      ...process.env,
      TMPDIR: scratch,
      [MARK]: token,
      AOS_PG_TEMPLATES: process.env.AOS_PG_TEMPLATES || os.tmpdir(),
    },
  });
  const run: Running = { child, token, scratch };
  running.add(run);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    } catch {
      // Ended meanwhile.
    }
  }, options.limitMs);
  return new Promise((resolve) => {
    child.once('error', () => undefined);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(run);
      const leftovers = takeBack(run);
      resolve({ code, signal, timedOut, leftovers, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** On SIGINT, SIGTERM or SIGHUP: the running benches and all they started killed, their files removed, then exit. */
export function stopOnSignals(say: (line: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => {
      const runs = [...running];
      running.clear();
      for (const run of runs) {
        try {
          process.kill(-(run.child.pid ?? 0), 'SIGKILL');
        } catch {
          // Ended meanwhile.
        }
        takeBack(run);
      }
      say(`bench: stopped by ${signal}${runs.length ? ': the running benches and all they started were killed' : ''}`);
      process.exit(128 + os.constants.signals[signal]);
    });
}
