/**
 * A kernel that stopped without closing (a crash, a kill -9) may have been in the middle of a
 * write: its aside file is still beside the target, readable by a sandboxed command under a name
 * the policy's read rules do not cover (drivers/fs/sweep-asides.ts). The next start removes them
 * before any process runs again, and says so in the log.
 */
import { sweepAsides } from '../../drivers/fs/sweep-asides.js';
import type { LogLevel } from '../proc/api.js';
import { param } from '../../sys/param.js';

/** Called by a kernel whose store says the last one did not close (kernel.ts). */
export async function sweepHalfWrites(
  kernel: { log(level: LogLevel, message: string): void },
  root: string,
): Promise<void> {
  const sweep = await sweepAsides(root, Date.now(), param.fsAsideSweepMaxEntries);
  if (sweep.removed.length > 0) {
    const shown = sweep.removed.slice(0, 10).join(', ');
    const more = sweep.removed.length > 10 ? ` and ${sweep.removed.length - 10} more` : '';
    kernel.log('warn', `the last kernel stopped mid-write: removed what it had half-written (${shown}${more})`);
  }
  if (sweep.truncated) {
    kernel.log(
      'warn',
      `the last kernel stopped without closing; the workspace was swept for half-made writes (.aos-write-*.tmp) over its first ${sweep.entries} entries only: look for others with \`find ${root} -name '.aos-write-*.tmp'\``,
    );
  }
}
