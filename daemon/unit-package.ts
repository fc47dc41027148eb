/**
 * A unit package read into a staging directory: a directory, or a .tar.gz (or .tgz, .tar) of one,
 * holding unit.yaml and the files it names. This runs in the package reader's process
 * (unit-stage-main.ts; the kernel calls unit-stage.ts), never on the kernel's thread. Only regular
 * files and directories are taken — a symlink, a hard link or a device anywhere refuses the package
 * (a link could carry a later read out of it) — each name is checked as a workspace path is, and
 * entries, files, bytes (declared and unpacked), depth and name lengths are bounded while it is read
 * (unit-package-budget.ts, sys/param-packages.ts). Every file is written by this code under the
 * staging directory: the archive's own idea of where things go is never used.
 */
import { lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../sys/errno.js';
import { PackageBudget, packageLimits, type PackageLimits, size, type StagedFile } from './unit-package-budget.js';
import { copyTree } from './unit-package-dir.js';

export type { StagedFile } from './unit-package-budget.js';

export interface StagedPackage {
  /** The directory holding unit.yaml (the staging directory, or the one folder an archive wraps it in). */
  root: string;
  /** Every file under root, by its path there. */
  files: StagedFile[];
}

const ARCHIVE = /\.(tar\.gz|tgz|tar)$/i;

/** What a package holds at its top: its manifest's name, and that file's limit (a skill's SKILL.md, issue 53.1). */
export interface PackageManifest {
  file: string;
  maxBytes: number;
  /** The param that sets maxBytes, for the refusal. */
  limit: string;
}

/** A unit package's: unit.yaml. */
export const UNIT_MANIFEST: PackageManifest = {
  file: 'unit.yaml',
  maxBytes: 0,
  limit: 'param.unitPackageMaxManifestBytes',
};

/** Read the package at `source` (a directory or an archive) into `stage`, which must be empty. */
export async function stagePackage(
  source: string,
  stage: string,
  limits: PackageLimits = packageLimits(),
  kind: PackageManifest = UNIT_MANIFEST,
): Promise<StagedPackage> {
  const top = kind.file;
  let stats;
  try {
    stats = await lstat(source);
  } catch {
    throw new AosError('ENOENT', `${source}: no such file or directory`);
  }
  const budget = new PackageBudget(source, limits);
  await mkdir(stage, { recursive: true });
  let files: StagedFile[];
  if (stats.isDirectory()) files = await copyTree(source, stage, budget);
  // The archive reader (tar and its dependencies) is loaded by the first archive, not with the daemon.
  else if (stats.isFile() && ARCHIVE.test(source))
    files = await (await import('./unit-package-archive.js')).readArchive(source, stage, budget);
  else throw new AosError('EINVAL', `${source}: a package is a directory or a .tar.gz of one (with ${top})`);
  const entries = await readdir(stage);
  const wrapped =
    entries.length === 1 && entries[0] !== top && (await lstat(path.join(stage, entries[0] as string))).isDirectory()
      ? (entries[0] as string)
      : null;
  const root = wrapped ? path.join(stage, wrapped) : stage;
  const inRoot = wrapped
    ? files
        .filter((f) => f.path.startsWith(`${wrapped}/`))
        .map((f) => ({ ...f, path: f.path.slice(wrapped.length + 1) }))
    : files;
  const manifest = inRoot.find((f) => f.path === top);
  if (!manifest) throw new AosError('ENOENT', `${source}: no ${top} at the top of the package`);
  const max = kind.maxBytes || limits.unitPackageMaxManifestBytes;
  if (manifest.bytes > max)
    throw budget.refusal('EFBIG', `${top} is ${size(manifest.bytes)}, more than ${size(max)} (${kind.limit})`);
  return { root, files: inRoot.sort((a, b) => a.path.localeCompare(b.path)) };
}
