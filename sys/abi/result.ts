/** A syscall's result as the model reads it: `[SYS_RESULT::NAME] {"ok":true,"value":…}` or `{"ok":false,"errno":…,"message":…}`. */
import type { Errno } from '../errno.js';

export type SyscallResult = { ok: true; value: unknown } | { ok: false; errno: Errno; message: string };
