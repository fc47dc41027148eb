/** The fs driver's limits (workspace-fs.ts), each checked once when the workspace is opened. */
import { AosError } from '../../sys/errno.js';

export interface WorkspaceFsOptions {
  root: string;
  maxReadBytes: number;
  maxWriteBytes: number;
  maxListEntries: number;
  maxPathLength: number;
  /** Reads and writes up to this many bytes run synchronously; larger ones use the thread pool (default 0: all). */
  syncIoBytes?: number;
  /** Directories whose size (fstat) is at most this are listed synchronously; larger ones in the thread pool (default 0: all). */
  syncDirBytes?: number;
  /** Directories kept open between calls (open-inside.ts PinnedDirs), so a call into one does not walk to it again (default 0: none). */
  keptDirs?: number;
  /** A write's create and rename run synchronously while they average at most this many ms here (file-io.ts DirChanges; default 0: the thread pool). */
  syncDirChangeMs?: number;
}

/** Every option present and a non-negative integer (EINVAL naming the first that is not). */
export function resolveOptions(options: WorkspaceFsOptions): Required<WorkspaceFsOptions> {
  for (const key of ['maxReadBytes', 'maxWriteBytes', 'maxListEntries', 'maxPathLength'] as const) {
    requireCount(options[key], key);
  }
  const all = {
    ...options,
    syncIoBytes: options.syncIoBytes ?? 0,
    syncDirBytes: options.syncDirBytes ?? 0,
    keptDirs: options.keptDirs ?? 0,
    syncDirChangeMs: options.syncDirChangeMs ?? 0,
  };
  for (const key of ['syncIoBytes', 'syncDirBytes', 'keptDirs'] as const) requireCount(all[key], key);
  if (!Number.isFinite(all.syncDirChangeMs) || all.syncDirChangeMs < 0)
    throw new AosError('EINVAL', 'syncDirChangeMs must be a non-negative number');
  return all;
}

export function requireCount(value: number, label: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new AosError('EINVAL', `${label} must be a non-negative integer`);
  return value;
}
