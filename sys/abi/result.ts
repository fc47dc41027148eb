/** A syscall's result as the model reads it: `[SYS_RESULT::NAME] {"ok":true,"value":…}` or `{"ok":false,"errno":…,"message":…}`. */
import { AosError, type Errno } from '../errno.js';

export type SyscallResult = { ok: true; value: unknown } | { ok: false; errno: Errno; message: string };

export function fail(errno: Errno, message: string): SyscallResult {
  return { ok: false, errno, message };
}

/** A thrown error as the model reads it: an AosError's errno, EINTR when the call's process is being killed, else EIO. */
export function toResult(error: unknown, ctx: { readonly signal: AbortSignal }): SyscallResult {
  if (error instanceof AosError) return fail(error.code, error.message);
  if (ctx.signal.aborted) return fail('EINTR', 'interrupted: the process is being killed');
  const message = error instanceof Error ? error.message : String(error);
  return fail('EIO', `host failure: ${message}`);
}
