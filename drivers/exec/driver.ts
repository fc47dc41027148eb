/**
 * The exec driver's table entry: the sandbox's limits fixed once from param.ts, and per process a
 * runner over its workspace whose commands die with it (the process's kill signal).
 */
import type { ProcessExec } from '../../sys/driver-api.js';
import { param } from '../../sys/param.js';
import { defineDriver, workspaceOf } from '../driver.js';
import type { FsRule } from '../fs-rules.js';
import { runSandboxed } from './run-sandboxed.js';
import { fsGrants } from './scoped-mounts.js';
import type { ExecLimits } from './types.js';

export interface ExecHost {
  /** The workspace's real path, mounted read-write at /workspace. */
  readonly workspace: string;
  /** Makes a workspace directory through the fs driver's confined walk (never through a symlink). */
  makeDir(virtualPath: string): Promise<void>;
  readonly limits: Omit<ExecLimits, 'wallTimeoutMs'>;
  readonly defaultTimeoutS: number;
  /** The policy's rules as they stand at each run (rule-mounts.ts holds its fs rules). */
  fsRules(): readonly FsRule[];
}

/** The sandbox's limits from param.ts (the wall time is each call's). */
export function execLimits(): Omit<ExecLimits, 'wallTimeoutMs'> {
  return {
    cpuSeconds: param.execCpuSeconds,
    maxFileBytes: param.execMaxFileBytes,
    maxOpenFiles: param.execMaxOpenFiles,
    maxProcesses: param.execMaxProcesses,
    maxMemoryBytes: param.execMaxMemoryBytes,
    maxOutputBytes: param.execMaxOutputBytes,
  };
}

export const execDriver = defineDriver({
  name: 'exec',
  summary: 'bash in a bubblewrap sandbox over the workspace: no network, no host files, rlimits (EXEC_CMD)',
  open: (config, before): ExecHost => {
    const fs = workspaceOf(before, 'exec');
    return {
      workspace: fs.root,
      makeDir: (virtualPath) => fs.makeDir(virtualPath),
      limits: execLimits(),
      defaultTimeoutS: param.execDefaultTimeoutS,
      fsRules: () => config.fsRules?.() ?? [],
    };
  },
  scope: (host, proc): ProcessExec => ({
    run: (cmd, options = {}) =>
      runSandboxed({
        cmd,
        workspace: host.workspace,
        // Scoped exec: the command sees only what the process may read, and writes only where it may write.
        grants: fsGrants(proc.caps),
        ...(options.gate ? { gate: options.gate } : {}),
        ...(options.secret ? { secret: options.secret } : {}),
        signal: proc.signal,
        cwd: proc.cwd,
        makeDir: host.makeDir,
        fsRules: host.fsRules(),
        limits: { ...host.limits, wallTimeoutMs: Math.round((options.timeoutS ?? host.defaultTimeoutS) * 1000) },
      }),
  }),
});
