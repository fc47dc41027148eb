/**
 * The closed set of error numbers the model sees, and the one error class that carries them.
 * Lives at the bottom layer so drivers, syscalls, kernel and cmd all share it.
 */
export const ERRNOS = [
  'EINVAL', // arguments failed the schema or make no sense
  'ENOSYS', // no such syscall
  'EPERM', // the process lacks the capability
  'EACCES', // a driver refused (sandbox, policy)
  'ENOENT', // no such file, process or object
  'EEXIST', // already exists
  'EISDIR', // is a directory
  'ENOTDIR', // not a directory
  'EFBIG', // too large
  'ETIMEDOUT', // a time limit passed
  'EINTR', // a blocking call was interrupted (timer, kill)
  'ESRCH', // no such process
  'ECHILD', // not a child of the caller
  'EAGAIN', // try again later (rate limits, busy)
  'EBUSY', // in use: a running process cannot be removed
  'ENOSPC', // disk full
  'EIO', // any other host failure
] as const;

export type Errno = (typeof ERRNOS)[number];

export function isErrno(value: unknown): value is Errno {
  return typeof value === 'string' && (ERRNOS as readonly string[]).includes(value);
}

/** A failure with an errno. Drivers throw it; the dispatcher turns it into a result for the model. */
export class AosError extends Error {
  override readonly name = 'AosError';
  constructor(
    readonly code: Errno,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An AosError without a stack trace, for the reason handed to an AbortController when a process
 * ends: whatever it interrupts reports its message, and a trace would only name the kernel's own
 * ending code — while capturing it cost more than the rest of ending the process.
 */
export function interruption(message: string): AosError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AosError('EINTR', message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Map a Node system error (ENOENT, EACCES, ...) to an errno, defaulting to EIO. */
export function errnoFromNode(error: unknown): Errno {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'EISDIR':
    case 'ENOTDIR':
    case 'EEXIST':
    case 'EACCES':
    case 'EFBIG':
    case 'ENOSPC':
      return code;
    case 'EPERM':
    case 'ELOOP':
      return 'EACCES';
    case 'ENAMETOOLONG':
      return 'EINVAL';
    case 'EDQUOT':
      return 'ENOSPC';
    default:
      return 'EIO';
  }
}
