import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CGROUP_ROOT, destroyCgroups, GROUP_NAME, ownRunName } from './run-cgroups.js';
import { sweepStaleSandboxes } from './stale-sandboxes.js';

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
  const name = await ownRunName(randomBytes(6).toString('hex'));
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
      await destroyCgroups(runs.map((run) => run.dir));
    },
  };
}

/** The aos-exec directories runs are created under (pids first), or none when no cgroup is writable. */
export async function sandboxCgroupGroups(): Promise<string[]> {
  bases ??= findBases();
  const found = await bases;
  if (!found) return [];
  return found.memory && found.memory !== found.pids ? [found.pids.dir, found.memory.dir] : [found.pids.dir];
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

/** `AOS_EXEC_CGROUP=none` runs sandboxes without cgroups, as on a host that has none writable (tests use it). */
async function findBases(): Promise<Bases | null> {
  if (process.getuid?.() !== 0 || process.env.AOS_EXEC_CGROUP === 'none') return null;
  const found = (await findV2Bases()) ?? (await findV1Bases());
  // Runs a dead kernel left would otherwise keep their processes and directories until the daemon restarts.
  if (found) await sweepStaleSandboxes();
  return found;
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
        .then(
          () => true,
          () => false,
        ));
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
    return { dir, version: 1 };
  } catch {
    return null;
  }
}

async function enableController(dir: string, controller: string): Promise<void> {
  const enabled = await readFile(path.join(dir, 'cgroup.subtree_control'), 'utf8');
  if (!enabled.split(/\s+/).includes(controller)) {
    await writeFile(path.join(dir, 'cgroup.subtree_control'), `+${controller}`);
  }
}
