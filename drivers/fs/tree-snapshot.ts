/**
 * What the rollback journal needs of the host: the content of files before a change. A snapshot
 * reads every regular file under some directories (bounded); the diff after a command compares
 * size, mtime and inode first, and content only where those moved. Symbolic links and special
 * files are not followed.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface FileState {
  size: number;
  mtimeNs: bigint;
  ino: number;
  content: Buffer;
}

/** Relative path (from the workspace root, starting with /) → state. */
export type TreeSnapshot = Map<string, FileState>;

export class SnapshotTooLarge extends Error {}

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** A regular file's content, or null (missing, a link, a FIFO or device, or over `max`): never blocks on a FIFO. */
export async function readRegular(file: string, max: number): Promise<Buffer | null> {
  const handle = await open(file, READ_FLAGS).catch(() => null);
  if (!handle) return null;
  try {
    const info = await handle.stat();
    return info.isFile() && info.size <= max ? await handle.readFile() : null;
  } finally {
    await handle.close();
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

async function walk(
  root: string,
  rel: string,
  out: TreeSnapshot,
  budget: { bytes: number },
  withContent: boolean,
): Promise<void> {
  let entries: Array<{ name: string; isDirectory(): boolean; isFile(): boolean }>;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  const files = entries.filter((e) => e.isFile()).map((e) => (rel === '/' ? `/${e.name}` : `${rel}/${e.name}`));
  // A directory's files at once: the libuv pool overlaps the reads (one at a time cost 3x).
  const states = await Promise.all(files.map((child) => readState(path.join(root, child), budget, withContent)));
  files.forEach((child, i) => {
    const state = states[i];
    if (state) out.set(child, state);
  });
  for (const entry of entries)
    if (entry.isDirectory())
      await walk(root, rel === '/' ? `/${entry.name}` : `${rel}/${entry.name}`, out, budget, withContent);
}

/**
 * A listed file's state, or null when it is no longer a regular file there: another process's write
 * renamed its temporary file away (or replaced the name) between readdir and lstat — a file that is
 * gone is not in the tree, and a race with a neighbour must not fail the command (EIO).
 */
export async function readState(
  full: string,
  budget: { bytes: number },
  withContent: boolean,
): Promise<FileState | null> {
  const info = await lstat(full, { bigint: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw error;
  });
  if (info === null || !info.isFile()) return null;
  budget.bytes -= Number(info.size);
  if (budget.bytes < 0) throw new SnapshotTooLarge(`the writable paths hold more than the journal's snapshot limit`);
  const content = withContent ? ((await readRegular(full, Number(info.size))) ?? Buffer.alloc(0)) : Buffer.alloc(0);
  return { size: Number(info.size), mtimeNs: info.mtimeNs, ino: Number(info.ino), content };
}

/** Every regular file under `dirs` (workspace-relative), with content when asked. */
export async function snapshotTree(
  root: string,
  dirs: readonly string[],
  maxBytes: number,
  withContent = true,
): Promise<TreeSnapshot> {
  const out: TreeSnapshot = new Map();
  const budget = { bytes: maxBytes };
  for (const dir of dirs) await walk(root, dir, out, budget, withContent);
  return out;
}

export interface TreeChange {
  path: string;
  /** Content before, or null when the file did not exist. */
  before: Buffer | null;
  /** Hash of the content after, or null when the file is gone. */
  afterHash: string | null;
}

/** What changed between a snapshot with content and the tree now. */
export async function diffTree(
  root: string,
  dirs: readonly string[],
  before: TreeSnapshot,
  maxBytes: number,
): Promise<TreeChange[]> {
  const after = await snapshotTree(root, dirs, maxBytes, false);
  const changes: TreeChange[] = [];
  for (const [rel, now] of after) {
    const was = before.get(rel);
    if (was && was.size === now.size && was.mtimeNs === now.mtimeNs && was.ino === now.ino) continue;
    const content = await readRegular(path.join(root, rel), maxBytes);
    if (content === null) continue;
    if (was && was.content.equals(content)) continue;
    changes.push({ path: rel, before: was ? was.content : null, afterHash: sha256(content) });
  }
  for (const [rel, was] of before)
    if (!after.has(rel)) changes.push({ path: rel, before: was.content, afterHash: null });
  return changes;
}
