/** The client's failures: the kernel could not be reached (exit code 2 in the CLI), or it said no. */
import { AosError, isErrno } from '../sys/errno.js';
import type { WireError } from '../protocol/protocol-results.js';

/**
 * connect: nothing listens; hung: a kernel accepts but does not answer; start: it could not be
 * started; lost: the connection broke; mismatch: it speaks another protocol version.
 */
export type UnreachableKind = 'connect' | 'hung' | 'start' | 'lost' | 'mismatch';

/** The kernel is not there: not running, failed to start, or the connection broke. */
export class KernelUnreachableError extends Error {
  override readonly name = 'KernelUnreachableError';
  constructor(
    readonly kind: UnreachableKind,
    readonly socket: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static connect(socket: string, reason: string, logFile: string): KernelUnreachableError {
    return new KernelUnreachableError(
      'connect',
      socket,
      `cannot reach the kernel at ${socket}: ${reason}. Start it with "aos kernel start" or see ${logFile}`,
    );
  }

  static lost(socket: string, reason: string): KernelUnreachableError {
    return new KernelUnreachableError('lost', socket, `lost the connection to the kernel at ${socket}: ${reason}`);
  }
}

/** A refusal from the kernel (ESRCH, EINVAL, ...) as the one host-level error class; EKERNEL → EIO. */
export function remoteError(error: WireError): AosError {
  return isErrno(error.code) ? new AosError(error.code, error.message) : new AosError('EIO', error.message);
}

/** Why a socket connect failed, in words. */
export function connectReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no kernel is running (no socket)';
  if (code === 'ECONNREFUSED') return 'no kernel is listening (stale socket)';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
