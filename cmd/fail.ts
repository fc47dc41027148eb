/** The CLI's one error exit: a clear message, never a stack trace, and the contract's exit codes. */
import { AosError } from '../sys/errno.js';
import { KernelUnreachableError } from '../client/errors.js';
import { err } from './out.js';

/** 0 success, 1 usage error or refused request, 2 kernel unreachable; attached spawn adds the process's code. */
export const EXIT = { ok: 0, usage: 1, unreachable: 2, interrupted: 130 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof CliError) {
    err(`aos: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof KernelUnreachableError) {
    err(`aos: ${error.message}\n`);
    return EXIT.unreachable;
  }
  if (error instanceof AosError) {
    err(`aos: ${error.message}\n`);
    return EXIT.usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  err(`aos: unexpected failure: ${message}\n`);
  if (process.env.AOS_DEBUG) err(`${(error as Error).stack ?? ''}\n`);
  return EXIT.usage;
}
