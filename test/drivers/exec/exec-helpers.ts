import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runSandboxed } from '../../../drivers/exec/run-sandboxed.js';
import type { ExecLimits, ExecResult } from '../../../drivers/exec/types.js';

export const TEST_LIMITS: ExecLimits = {
  wallTimeoutMs: 5000,
  cpuSeconds: 5,
  maxFileBytes: 1024 * 1024,
  maxOpenFiles: 64,
  maxProcesses: 32,
  maxMemoryBytes: 256 * 1024 * 1024,
  maxOutputBytes: 64 * 1024,
};

/** A fresh host directory, realpath'd as runSandboxed requires. */
export async function makeTempDir(prefix: string): Promise<string> {
  return realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function runIn(
  workspace: string,
  cmd: string,
  limits: Partial<ExecLimits> = {},
  signal?: AbortSignal,
): Promise<ExecResult> {
  return runSandboxed({ cmd, workspace, limits: { ...TEST_LIMITS, ...limits }, ...(signal ? { signal } : {}) });
}

export function announceSkip(bwrap: string | null): void {
  if (!bwrap) console.log('bwrap not installed: exec tests skipped');
}
