/**
 * The fs driver's table entry: the workspace opened once (created, pinned to its real path), and
 * per process a view that asks the process's fs.read / fs.write capabilities again of the path a
 * symlinked directory really leads to.
 */
import type { ProcessFs } from '../../sys/driver-api.js';
import { param } from '../../sys/param.js';
import { defineDriver } from '../driver.js';
import { toVirtualPathFrom } from './virtual-path.js';
import { WorkspaceFs } from './workspace-fs.js';

export const fsDriver = defineDriver({
  name: 'fs',
  summary: 'the workspace file tree, confined to its root (FS_READ, FS_WRITE, FS_LIST)',
  open: (config) =>
    WorkspaceFs.open({
      root: config.workspace,
      maxReadBytes: param.fsMaxReadBytes,
      maxWriteBytes: param.fsMaxWriteBytes,
      maxListEntries: param.fsMaxListEntries,
      maxPathLength: param.fsMaxPathLength,
      syncIoBytes: param.fsSyncIoBytes,
      syncDirBytes: param.fsSyncDirBytes,
      keptDirs: param.fsKeptDirs,
    }),
  close: async (fs) => fs.close(),
  scope: (fs, proc): ProcessFs => {
    // A relative path is the working directory's: resolved once here, so the capability asked and the file opened are one path.
    const at = (input: string): string => toVirtualPathFrom(proc.cwd, input, param.fsMaxPathLength);
    return {
      virtualPath: at,
      read: (path, options = {}) => fs.read(at(path), { ...options, authorize: (real) => proc.allows(`fs.read:${real}`) }),
      write: (path, content, options = {}) => fs.write(at(path), content, { ...options, authorize: (real) => proc.allows(`fs.write:${real}`) }),
      list: (path) => fs.list(at(path), { authorize: (real) => proc.allows(`fs.read:${real}`) }),
    };
  },
});
