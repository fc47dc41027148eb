/**
 * Node file-system errors -> AosError. Messages are built here from the virtual path only:
 * a raw Node message names the host path, which the agent must never learn.
 */
import { AosError, errnoFromNode } from '../../sys/errno.js';

export type FsOperation = 'read' | 'write' | 'list';

export function escapeError(virtualPath: string): AosError {
  return new AosError('EACCES', `path escapes the workspace: ${virtualPath}`);
}

/** Wraps any failure as an AosError naming the virtual path; AosErrors pass through unchanged. */
export function toFsError(error: unknown, virtualPath: string, operation: FsOperation): AosError {
  if (error instanceof AosError) return error;
  const code = nodeCode(error);
  switch (code) {
    case 'ENOENT':
      return new AosError('ENOENT', `no such file: ${virtualPath}`);
    case 'ELOOP':
    case 'EMLINK': // FreeBSD reports O_NOFOLLOW on a symlink as EMLINK
      return new AosError('EACCES', `is a symlink: ${virtualPath}`);
    case 'EISDIR':
      return new AosError('EISDIR', `is a directory: ${virtualPath}`);
    case 'ENOTDIR':
      return new AosError('ENOTDIR', `not a directory: ${virtualPath}`);
    case 'ENXIO': // a fifo opened for writing with no reader
    case 'ENODEV':
      return notRegularError(virtualPath);
    case 'EFBIG':
      return new AosError('EFBIG', `file too large: ${virtualPath}`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new AosError('ENOSPC', `no space left on device: ${virtualPath}`);
    case 'EACCES':
    case 'EPERM':
      return new AosError('EACCES', `permission denied: ${virtualPath}`);
    case 'ENAMETOOLONG':
      return new AosError('EINVAL', `path too long: ${virtualPath}`);
    default:
      return new AosError(errnoFromNode(error), `${operation} failed: ${virtualPath}${code ? ` (${code})` : ''}`);
  }
}

export function notRegularError(virtualPath: string): AosError {
  return new AosError('EACCES', `not a regular file: ${virtualPath}`);
}

/** The Node error code, only when it has the plain `EXXX` shape (it is echoed to the agent). */
function nodeCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]{1,15}$/.test(code) ? code : undefined;
}
