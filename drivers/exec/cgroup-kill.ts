import { access, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

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
export async function destroyCgroups(dirs: string[], waitMs = DEADLINE_MS): Promise<{ killed: number; removed: boolean }> {
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
  const hasKill = await access(killFile).then(() => true, () => false);
  if (hasKill && (await writeFile(killFile, '1').then(() => true, () => false))) return pids;
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
