import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The cgroup(s) one sandbox run is moved into; remove() kills leftovers and deletes them. */
export interface SandboxCgroup {
  /** cgroup.procs files the launcher joins: one on cgroup v2, one per controller hierarchy on v1. */
  procsPaths: string[];
  /** Whether the whole run's memory is capped (a memory controller was writable). */
  memoryCapped: boolean;
  remove(): Promise<void>;
}

export interface CgroupLimits {
  maxPids: number;
  /** For the whole run: every process, page cache and tmpfs page together. */
  maxMemoryBytes: number;
}

interface Hierarchy {
  dir: string;
  version: 1 | 2;
}

interface Bases {
  pids: Hierarchy;
  /** The same hierarchy as pids on v2; null when no memory controller is writable. */
  memory: Hierarchy | null;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const GROUP_NAME = 'aos-exec';

let bases: Promise<Bases | null> | undefined;

/**
 * Needed when aos runs as root: the sandbox uid then maps to host uid 0, which the kernel exempts
 * from RLIMIT_NPROC, so only a pids cgroup stops a fork bomb; and rlimits are per process, so only
 * a memory cgroup stops many processes from together taking the host's memory. Null when no pids
 * controller is writable here; the memory cap is added when a memory controller is.
 */
export async function createSandboxCgroup(limits: CgroupLimits): Promise<SandboxCgroup | null> {
  bases ??= findBases();
  const found = await bases;
  if (!found) return null;
  const name = `run-${process.pid}-${randomBytes(6).toString('hex')}`;
  const pidsDir = path.join(found.pids.dir, name);
  try {
    await mkdir(pidsDir);
    await writeFile(path.join(pidsDir, 'pids.max'), String(limits.maxPids));
  } catch {
    await rmdir(pidsDir).catch(() => undefined);
    return null;
  }
  const runs: Hierarchy[] = [{ dir: pidsDir, version: found.pids.version }];
  let memoryCapped = false;
  if (found.memory) {
    const memoryDir = found.memory === found.pids ? pidsDir : path.join(found.memory.dir, name);
    memoryCapped = await limitMemory(memoryDir, found.memory.version, limits.maxMemoryBytes, memoryDir !== pidsDir);
    if (memoryCapped && memoryDir !== pidsDir) runs.push({ dir: memoryDir, version: found.memory.version });
  }
  return {
    procsPaths: runs.map((run) => path.join(run.dir, 'cgroup.procs')),
    memoryCapped,
    remove: async () => {
      for (const run of runs) await removeCgroup(run.dir, run.version);
    },
  };
}

/** Sets the memory cap (no swap either); false, with nothing left behind, when it cannot. */
async function limitMemory(dir: string, version: 1 | 2, bytes: number, create: boolean): Promise<boolean> {
  try {
    if (create) await mkdir(dir);
    await writeFile(path.join(dir, version === 2 ? 'memory.max' : 'memory.limit_in_bytes'), String(bytes));
  } catch {
    if (create) await rmdir(dir).catch(() => undefined);
    return false;
  }
  // Absent without swap accounting; then there is no swap to escape to either.
  const swapFile = version === 2 ? 'memory.swap.max' : 'memory.memsw.limit_in_bytes';
  await writeFile(path.join(dir, swapFile), version === 2 ? '0' : String(bytes)).catch(() => undefined);
  return true;
}

async function findBases(): Promise<Bases | null> {
  if (process.getuid?.() !== 0) return null;
  return (await findV2Bases()) ?? (await findV1Bases());
}

async function findV2Bases(): Promise<Bases | null> {
  try {
    const controllers = (await readFile(path.join(CGROUP_ROOT, 'cgroup.controllers'), 'utf8')).split(/\s+/);
    if (!controllers.includes('pids')) return null;
    await enableController(CGROUP_ROOT, 'pids');
    const dir = path.join(CGROUP_ROOT, GROUP_NAME);
    await mkdir(dir, { recursive: true });
    await enableController(dir, 'pids');
    const withMemory =
      controllers.includes('memory') &&
      (await enableController(CGROUP_ROOT, 'memory')
        .then(() => enableController(dir, 'memory'))
        .then(() => true, () => false));
    await removeStaleRuns(dir);
    const base: Hierarchy = { dir, version: 2 };
    return { pids: base, memory: withMemory ? base : null };
  } catch {
    return null;
  }
}

async function findV1Bases(): Promise<Bases | null> {
  const pids = await findV1Base('pids');
  return pids ? { pids, memory: await findV1Base('memory') } : null;
}

async function findV1Base(controller: string): Promise<Hierarchy | null> {
  try {
    const root = path.join(CGROUP_ROOT, controller);
    await readFile(path.join(root, 'cgroup.procs'), 'utf8');
    const dir = path.join(root, GROUP_NAME);
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

async function enableController(dir: string, controller: string): Promise<void> {
  const enabled = await readFile(path.join(dir, 'cgroup.subtree_control'), 'utf8');
  if (!enabled.split(/\s+/).includes(controller)) {
    await writeFile(path.join(dir, 'cgroup.subtree_control'), `+${controller}`);
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
