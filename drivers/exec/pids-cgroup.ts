import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A pids cgroup that one sandbox run is moved into; remove() kills leftovers and deletes it. */
export interface PidsCgroup {
  procsPath: string;
  remove(): Promise<void>;
}

interface CgroupBase {
  dir: string;
  version: 1 | 2;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const GROUP_NAME = 'aos-exec';

let base: Promise<CgroupBase | null> | undefined;

/**
 * Needed when aos runs as root: the sandbox uid then maps to host uid 0, which the kernel
 * exempts from RLIMIT_NPROC, so only a pids cgroup can stop a fork bomb. Null when no pids
 * controller is writable here.
 */
export async function createPidsCgroup(maxPids: number): Promise<PidsCgroup | null> {
  base ??= findCgroupBase();
  const found = await base;
  if (!found) return null;
  const dir = path.join(found.dir, `run-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(dir);
    await writeFile(path.join(dir, 'pids.max'), String(maxPids));
  } catch {
    await rmdir(dir).catch(() => undefined);
    return null;
  }
  return { procsPath: path.join(dir, 'cgroup.procs'), remove: () => removeCgroup(dir, found.version) };
}

async function findCgroupBase(): Promise<CgroupBase | null> {
  if (process.getuid?.() !== 0) return null;
  try {
    const controllers = await readFile(path.join(CGROUP_ROOT, 'cgroup.controllers'), 'utf8');
    if (!controllers.split(/\s+/).includes('pids')) return null;
    await enablePidsController(CGROUP_ROOT);
    const dir = path.join(CGROUP_ROOT, GROUP_NAME);
    await mkdir(dir, { recursive: true });
    await enablePidsController(dir);
    await removeStaleRuns(dir);
    return { dir, version: 2 };
  } catch {
    return findCgroupV1Base();
  }
}

async function findCgroupV1Base(): Promise<CgroupBase | null> {
  try {
    const pidsRoot = path.join(CGROUP_ROOT, 'pids');
    await readFile(path.join(pidsRoot, 'cgroup.procs'), 'utf8');
    const dir = path.join(pidsRoot, GROUP_NAME);
    await mkdir(dir, { recursive: true });
    await removeStaleRuns(dir);
    return { dir, version: 1 };
  } catch {
    return null;
  }
}

/** Run cgroups left behind by an aos process that died before cleaning up (empty ones only). */
async function removeStaleRuns(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const owner = /^run-(\d+)-/.exec(name)?.[1];
    if (owner !== undefined && !isAlive(Number(owner))) await rmdir(path.join(dir, name)).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function enablePidsController(dir: string): Promise<void> {
  const enabled = await readFile(path.join(dir, 'cgroup.subtree_control'), 'utf8');
  if (!enabled.split(/\s+/).includes('pids')) {
    await writeFile(path.join(dir, 'cgroup.subtree_control'), '+pids');
  }
}

async function removeCgroup(dir: string, version: 1 | 2): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    await killMembers(dir, version);
    try {
      await rmdir(dir);
      return;
    } catch {
      await sleep(50);
    }
  }
}

async function killMembers(dir: string, version: 1 | 2): Promise<void> {
  if (version === 2) {
    await writeFile(path.join(dir, 'cgroup.kill'), '1').catch(() => undefined);
    return;
  }
  const procs = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const pid of procs.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
