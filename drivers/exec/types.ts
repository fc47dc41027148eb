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
}

export type { ExecResult } from '../../kernel/driver-api.js';
