/**
 * A run's cgroup directories, from their name to their end: where they live (one aos-exec group per
 * hierarchy, a run-* cgroup per EXEC_CMD under it), named for the process that made them so a
 * sweep can tell a dead kernel's from a live one's (run names), and destroyed with every process
 * still in them. sandbox-cgroup.ts makes and caps them; stale-sandboxes.ts sweeps what a dead
 * kernel left.
 */
import { access, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where sandbox cgroups live. */
export const CGROUP_ROOT = '/sys/fs/cgroup';
export const GROUP_NAME = 'aos-exec';

// ---- run names: whose a run is ----

/**
 * Names of per-run cgroups say which process made them: `run-<pid>-<start>-<random>`, where
 * <start> is the owner's start time in clock ticks since boot, so a pid reused by an unrelated
 * process after the owner died does not make a stale cgroup look owned. Older kernels wrote
 * `run-<pid>-<random>`; for those only the pid can be checked.
 */
export interface RunOwner {
  pid: number;
  /** Null for the older name format, or when the owner's start time could not be read. */
  start: string | null;
}

const NAME = /^run-(\d+)-(?:(\d+)-)?[0-9a-f]+$/;

let ownStart: Promise<string | null> | undefined;

/** A fresh run name owned by this process. */
export async function ownRunName(random: string): Promise<string> {
  ownStart ??= readStartTime(process.pid);
  const start = await ownStart;
  return start === null ? `run-${process.pid}-${random}` : `run-${process.pid}-${start}-${random}`;
}

/** The owner a run name records, or null when the name is not one aos writes. */
export function parseRunName(name: string): RunOwner | null {
  const match = NAME.exec(name);
  if (!match?.[1]) return null;
  return { pid: Number(match[1]), start: match[2] ?? null };
}

/** Whether the process that made the run is still running (a zombie is not). */
export async function isOwnerRunning(owner: RunOwner): Promise<boolean> {
  const stat = await readStat(owner.pid);
  if (stat === null) return isSignalable(owner.pid);
  if (stat.state === 'Z') return false;
  return owner.start === null || owner.start === stat.start;
}

export async function readStartTime(pid: number): Promise<string | null> {
  return (await readStat(pid))?.start ?? null;
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
async function readStat(pid: number): Promise<{ state: string; start: string } | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Field 3 (state) is the first after the name; field 22 (starttime) is the 20th.
  const state = fields[0];
  const start = fields[19];
  return state && start ? { state, start } : null;
}

/** Without /proc: fall back to asking the kernel whether the pid exists. */
function isSignalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---- a run destroyed: its processes killed, its directories removed ----

// A killed process leaves its cgroup only once it has exited, which can take a while under load
// (a SIGKILLed process dies when it is next scheduled): the members are waited for up to
// DEADLINE_MS, not a fixed number of tries (one second of tries let a `sh` outlive its stop).
const DEADLINE_MS = 10_000;
const RETRY_MS = 50;

/**
 * Kills every process in one run's cgroup directories (one on v2, one per hierarchy on v1) and
 * removes them, members first: a cgroup with members cannot be removed. Returns how many
 * processes were signalled and whether every directory is gone.
 */
export async function destroyCgroups(
  dirs: string[],
  waitMs = DEADLINE_MS,
): Promise<{ killed: number; removed: boolean }> {
  const killed = new Set<number>();
  let left = dirs;
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; left.length > 0 && (attempt === 0 || Date.now() < deadline); attempt += 1) {
    if (attempt > 0) await sleep(RETRY_MS);
    for (const dir of left) for (const pid of await killMembers(dir)) killed.add(pid);
    left = await removeEmpty(left);
  }
  return { killed: killed.size, removed: left.length === 0 };
}

/** The directories that could not be removed yet. */
async function removeEmpty(dirs: string[]): Promise<string[]> {
  const left: string[] = [];
  for (const dir of dirs) {
    try {
      await rmdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  }
  return left;
}

/** SIGKILLs the members; cgroup.kill (v2, Linux 5.14+) also catches a process forking meanwhile. */
async function killMembers(dir: string): Promise<number[]> {
  const pids = await readMembers(dir);
  if (pids.length === 0) return pids;
  const killFile = path.join(dir, 'cgroup.kill');
  const hasKill = await access(killFile).then(
    () => true,
    () => false,
  );
  if (
    hasKill &&
    (await writeFile(killFile, '1').then(
      () => true,
      () => false,
    ))
  )
    return pids;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

async function readMembers(dir: string): Promise<number[]> {
  const text = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
}
