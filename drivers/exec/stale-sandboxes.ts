import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { CGROUP_ROOT, destroyCgroups, GROUP_NAME, isOwnerRunning, parseRunName } from './run-cgroups.js';

export interface SweepReport {
  /** Run cgroups removed, by name. */
  removed: string[];
  /** Processes that were still in them and were killed. */
  killed: number;
  /** Run cgroups that could not be removed (a member that would not die), by name. */
  failed: string[];
}

/**
 * Kills and removes the per-run sandbox cgroups that no running aos process owns: those left by
 * a kernel that died without cleaning up (SIGKILL, OOM, power loss of the process). Only run-*
 * directories under aos-exec, in every hierarchy (v2's one, or each v1 controller's). Runs of
 * another live aos process are left alone: several kernels (one per AOS_HOME) may share a host.
 */
export async function sweepStaleSandboxes(): Promise<SweepReport> {
  const report: SweepReport = { removed: [], killed: 0, failed: [] };
  if (process.getuid?.() !== 0) return report;
  for (const [name, dirs] of await findStaleRuns()) {
    // At start, a second per leftover: one that will not die (a process stuck in the kernel) must not hold the start up.
    const { killed, removed } = await destroyCgroups(dirs, 1_000);
    report.killed += killed;
    (removed ? report.removed : report.failed).push(name);
  }
  return report;
}

/** One line for a log, or null when there was nothing to sweep. */
export function describeSweep(report: SweepReport): string | null {
  const parts: string[] = [];
  if (report.removed.length > 0) {
    parts.push(
      `removed ${report.removed.length} sandbox cgroup(s) left by an earlier kernel, killing ${report.killed} process(es) still in them: ${report.removed.join(' ')}`,
    );
  }
  if (report.failed.length > 0) parts.push(`could not remove sandbox cgroup(s): ${report.failed.join(' ')}`);
  return parts.length > 0 ? parts.join('; ') : null;
}

/** Stale run name -> its directories across hierarchies. */
async function findStaleRuns(): Promise<Map<string, string[]>> {
  const stale = new Map<string, string[]>();
  for (const group of await findGroupDirs()) {
    for (const name of await listRuns(group)) {
      const known = stale.get(name);
      if (known) {
        known.push(path.join(group, name));
        continue;
      }
      const owner = parseRunName(name);
      // A run-* whose owner cannot be read was still made by aos; nothing can be using it.
      if (owner === null || !(await isOwnerRunning(owner))) stale.set(name, [path.join(group, name)]);
    }
  }
  return stale;
}

/** /sys/fs/cgroup/aos-exec on v2; /sys/fs/cgroup/<controller>/aos-exec on v1. */
async function findGroupDirs(): Promise<string[]> {
  const candidates = [path.join(CGROUP_ROOT, GROUP_NAME)];
  for (const entry of await readDirents(CGROUP_ROOT)) {
    if (entry.isDirectory() && entry.name !== GROUP_NAME)
      candidates.push(path.join(CGROUP_ROOT, entry.name, GROUP_NAME));
  }
  const found: string[] = [];
  for (const dir of candidates) if ((await readDirents(dir)).length > 0) found.push(dir);
  return found;
}

async function listRuns(group: string): Promise<string[]> {
  return (await readDirents(group))
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('run-'))
    .map((entry) => entry.name);
}

async function readDirents(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch(() => []);
}
