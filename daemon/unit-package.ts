/**
 * A unit package read into a staging directory: a directory, or a .tar.gz (or .tgz, .tar) of one,
 * holding unit.yaml and the files it names. Only regular files and directories are taken — a
 * symlink, a hard link or a device anywhere refuses the package (a link could carry a later read
 * out of it) — each name is checked as a workspace path is (no absolute path, no `..`), and the
 * files, their bytes in all and one file's bytes are bounded (param.ts). Every file is written by
 * this code under the staging directory: the archive's own idea of where things go is never used.
 */
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../sys/errno.js';
import { param } from '../sys/param.js';

export interface StagedFile {
  path: string;
  bytes: number;
}

export interface StagedPackage {
  /** The directory holding unit.yaml (the staging directory, or the one folder an archive wraps it in). */
  root: string;
  /** Every file under root, by its path there. */
  files: StagedFile[];
}

const ARCHIVE = /\.(tar\.gz|tgz|tar)$/i;

/** A member's name as a relative path of plain names: refused when absolute, with `..`, or with a control character. */
function memberPath(name: string, source: string): string | null {
  const clean = name.replace(/\\/g, '/').replace(/\/+$/, '');
  if (clean.startsWith('/') || /[\x00-\x1f]/.test(clean)) throw new AosError('EINVAL', `${source}: ${JSON.stringify(name)} is not a relative path; a package holds its own files only`);
  const parts = clean.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new AosError('EINVAL', `${source}: ${JSON.stringify(name)} leads out of the package (..)`);
  return parts.length ? parts.join('/') : null;
}

class Budget {
  private files = 0;
  private bytes = 0;
  constructor(private readonly source: string) {}

  take(name: string, bytes: number): void {
    if (++this.files > param.unitPackageMaxFiles) throw new AosError('EFBIG', `${this.source}: more than ${param.unitPackageMaxFiles} files`);
    if (bytes > param.unitPackageMaxFileBytes) throw new AosError('EFBIG', `${this.source}: ${name} has ${bytes} bytes, more than ${param.unitPackageMaxFileBytes}`);
    this.bytes += bytes;
    if (this.bytes > param.unitPackageMaxBytes) throw new AosError('EFBIG', `${this.source}: more than ${param.unitPackageMaxBytes} bytes in all`);
  }
}

async function copyTree(from: string, to: string, rel: string, budget: Budget, source: string, files: StagedFile[]): Promise<void> {
  for (const entry of await readdir(path.join(from, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${entry.name}` : entry.name;
    const at = path.join(from, name);
    const stats = await lstat(at);
    if (stats.isDirectory()) {
      await mkdir(path.join(to, name), { recursive: true });
      await copyTree(from, to, name, budget, source, files);
    } else if (stats.isFile() && stats.nlink === 1) {
      budget.take(name, stats.size);
      await writeFile(path.join(to, name), await readFile(at), { mode: 0o644 });
      files.push({ path: name, bytes: stats.size });
    } else {
      const what = stats.isSymbolicLink() ? 'a symbolic link' : stats.isFile() ? 'a hard-linked file' : 'not a regular file';
      throw new AosError('EINVAL', `${source}: ${name} is ${what}; a package holds regular files and directories only`);
    }
  }
}

async function readArchive(file: string, to: string, budget: Budget, source: string, files: StagedFile[]): Promise<void> {
  const tar = await import('tar');
  const pending: Array<Promise<void>> = [];
  let refused: AosError | null = null;
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        if (refused) return;
        try {
          const name = memberPath(entry.path, source);
          if (entry.type === 'Directory') {
            if (name) pending.push(mkdir(path.join(to, name), { recursive: true }).then(() => undefined));
            return;
          }
          if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') throw new AosError('EINVAL', `${source}: ${entry.path} is a ${entry.type}; a package holds regular files and directories only`);
          if (name === null) throw new AosError('EINVAL', `${source}: a file without a name`);
          budget.take(name, entry.size ?? 0);
          const chunks: Buffer[] = [];
          entry.on('data', (chunk: Buffer) => chunks.push(chunk));
          pending.push(
            new Promise<void>((resolve, reject) => {
              entry.on('end', () => {
                const data = Buffer.concat(chunks);
                files.push({ path: name, bytes: data.length });
                mkdir(path.dirname(path.join(to, name)), { recursive: true })
                  .then(() => writeFile(path.join(to, name), data, { mode: 0o644 }))
                  .then(resolve, reject);
              });
            }),
          );
        } catch (error) {
          refused = error instanceof AosError ? error : new AosError('EINVAL', String(error));
        }
      },
    });
  } catch (error) {
    throw new AosError('EINVAL', `${source}: not a readable tar archive: ${(error as Error).message}`);
  }
  if (refused) throw refused;
  await Promise.all(pending);
}

/** Read the package at `source` (a directory or an archive) into `stage`, which must be empty. */
export async function stagePackage(source: string, stage: string): Promise<StagedPackage> {
  let stats;
  try {
    stats = await lstat(source);
  } catch {
    throw new AosError('ENOENT', `${source}: no such file or directory`);
  }
  const budget = new Budget(source);
  const files: StagedFile[] = [];
  await mkdir(stage, { recursive: true });
  if (stats.isDirectory()) await copyTree(source, stage, '', budget, source, files);
  else if (stats.isFile() && ARCHIVE.test(source)) await readArchive(source, stage, budget, source, files);
  else throw new AosError('EINVAL', `${source}: a unit package is a directory or a .tar.gz of one (with unit.yaml)`);
  const top = await readdir(stage);
  const wrapped = top.length === 1 && top[0] !== 'unit.yaml' && (await lstat(path.join(stage, top[0] as string))).isDirectory() ? (top[0] as string) : null;
  const root = wrapped ? path.join(stage, wrapped) : stage;
  const inRoot = wrapped ? files.filter((f) => f.path.startsWith(`${wrapped}/`)).map((f) => ({ ...f, path: f.path.slice(wrapped.length + 1) })) : files;
  if (!inRoot.some((f) => f.path === 'unit.yaml')) throw new AosError('ENOENT', `${source}: no unit.yaml at the top of the package`);
  return { root, files: inRoot.sort((a, b) => a.path.localeCompare(b.path)) };
}
