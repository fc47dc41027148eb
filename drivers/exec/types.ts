import type { ExecGate, SecretRun } from '../../sys/driver-api.js';
import type { FsRule } from '../fs-rules.js';

/** Resource limits for one sandboxed command; every field is a positive integer. */
export interface ExecLimits {
  wallTimeoutMs: number;
  cpuSeconds: number;
  maxFileBytes: number;
  maxOpenFiles: number;
  maxProcesses: number;
  maxMemoryBytes: number;
  maxOutputBytes: number;
}

export interface ExecRequest {
  cmd: string;
  /** Host path of the agent's workspace, already realpath'd; mounted read-write at /workspace. */
  workspace: string;
  limits: ExecLimits;
  signal?: AbortSignal;
  /** Scoped exec: only these parts of the workspace are mounted (scoped-mounts.ts); all of it read-write when absent. */
  grants?: { read: readonly string[]; write: readonly string[] };
  /** Hold every program the command starts to the policy's exec rules (gate/). */
  gate?: ExecGate;
  /** Run one listed program with secrets instead of the command line (gate/gate-run.ts). */
  secret?: SecretRun;
  /** The process's working directory, a workspace path: the command starts there (`/` when absent). */
  cwd?: string;
  /**
   * Makes a workspace directory and its parents without following a symlink (the fs driver's
   * confined walk): granted write paths and the working directory are made with it. Absent, a
   * directory not there yet is not made (and not mounted).
   */
  makeDir?(virtualPath: string): Promise<void>;
  /**
   * The policy's rules as they stand for this run (its fs.read / fs.write deny and ask rules are
   * held by what the sandbox mounts: rule-protections.ts). None when absent.
   */
  fsRules?: readonly FsRule[];
}

export type { ExecResult } from '../../sys/driver-api.js';
