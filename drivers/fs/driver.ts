/**
 * The fs driver's table entry: the workspace opened once (created, pinned to its real path), and
 * per process a view that asks the process's fs.read / fs.write capabilities — and the policy's fs
 * rules — again of the path a symlinked directory really leads to.
 */
import type { FsReach, ProcessFs } from '../../sys/driver-api.js';
import { param } from '../../sys/param.js';
import { defineDriver } from '../driver.js';
import { type FsRule, type FsRuleKind, ruleOnTarget } from '../fs-rules.js';
import { toVirtualPathFrom } from './virtual-path.js';
import { WorkspaceFs } from './workspace-fs.js';

export const fsDriver = defineDriver({
  name: 'fs',
  summary: 'the workspace file tree, confined to its root (FS_READ, FS_WRITE, FS_LIST)',
  open: async (config) => {
    const fs = await WorkspaceFs.open({
      root: config.workspace,
      maxReadBytes: param.fsMaxReadBytes,
      maxWriteBytes: param.fsMaxWriteBytes,
      maxListEntries: param.fsMaxListEntries,
      maxPathLength: param.fsMaxPathLength,
      syncIoBytes: param.fsSyncIoBytes,
      syncDirBytes: param.fsSyncDirBytes,
      keptDirs: param.fsKeptDirs,
      syncDirChangeMs: param.fsSyncDirChangeMs,
    });
    // The policy's rules as they stand at each call (a reload replaces them).
    // With the paths hooks watch: a symlink into one is refused, as into a ruled path, so no hook is skipped by a link.
    const fsRules = (): readonly FsRule[] => [...(config.fsRules?.() ?? []), ...(config.hookRules?.() ?? [])];
    return Object.assign(fs, { fsRules });
  },
  close: async (fs) => fs.close(),
  scope: (fs, proc): ProcessFs => {
    // A relative path is the working directory's: resolved once here, so the capability asked and the file opened are one path.
    const at = (input: string): string => toVirtualPathFrom(proc.cwd, input, param.fsMaxPathLength);
    // The policy decided on the path named (the call gate); where a symlinked directory leads elsewhere, its rules are asked of that path too,
    // and so is what the call's kernel side asks there (`check`); `reached` hears the path let through (a directory made on the way, then the file).
    const authorize =
      (kind: FsRuleKind, named: string, { check, reached }: FsReach) =>
      (real: string): boolean | string => {
        if (!proc.allows(`${kind}:${real}`)) return false;
        const ruled = real === named || ruleOnTarget(fs.fsRules(), kind, named, real);
        const answer = ruled === true ? (check?.(real) ?? true) : ruled;
        if (answer === true) reached?.(real);
        return answer;
      };
    return {
      virtualPath: at,
      read: (path, { check, reached, ...options } = {}) => {
        const named = at(path);
        return fs.read(named, { ...options, authorize: authorize('fs.read', named, { check, reached }) });
      },
      write: (path, content, { check, reached, ...options } = {}) => {
        const named = at(path);
        return fs.write(named, content, { ...options, authorize: authorize('fs.write', named, { check, reached }) });
      },
      list: (path, reach = {}) => {
        const named = at(path);
        return fs.list(named, { authorize: authorize('fs.read', named, reach) });
      },
    };
  },
});
