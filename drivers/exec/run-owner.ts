import { readFile } from 'node:fs/promises';

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
