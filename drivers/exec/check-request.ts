import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AosError, errnoFromNode } from '../../sys/errno.js';
import type { ExecLimits, ExecRequest } from './types.js';

const LIMIT_NAMES: (keyof ExecLimits)[] = [
  'wallTimeoutMs',
  'cpuSeconds',
  'maxFileBytes',
  'maxOpenFiles',
  'maxProcesses',
  'maxMemoryBytes',
  'maxOutputBytes',
];

/** Rejects requests that would weaken the sandbox (bad limits, a workspace that is not a plain directory). */
export async function checkRequest(req: ExecRequest): Promise<void> {
  if (typeof req.cmd !== 'string' || req.cmd.includes('\0')) {
    throw new AosError('EINVAL', 'EXEC_CMD needs a command string without NUL bytes');
  }
  for (const name of LIMIT_NAMES) {
    const value = req.limits[name];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new AosError('EINVAL', `exec limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  await checkWorkspace(req.workspace);
}

async function checkWorkspace(workspace: string): Promise<void> {
  if (!path.isAbsolute(workspace) || path.resolve(workspace) === '/') {
    throw new AosError('EINVAL', `exec workspace must be an absolute path below /, got ${workspace}`);
  }
  try {
    // A symlinked workspace could be re-pointed between the check and bwrap's bind.
    if ((await realpath(workspace)) !== path.resolve(workspace)) {
      throw new AosError('EINVAL', `exec workspace must be a resolved path (no symlinks): ${workspace}`);
    }
    if (!(await stat(workspace)).isDirectory()) {
      throw new AosError('ENOTDIR', `exec workspace is not a directory: ${workspace}`);
    }
  } catch (error) {
    if (error instanceof AosError) throw error;
    throw new AosError(errnoFromNode(error), `exec workspace is not usable: ${workspace}`, { cause: error });
  }
}
