/** Writes to what a running sandbox holds by a mount (../fs-held.ts says why they differ). */
import fs, { constants } from 'node:fs';
import { AosError } from '../../sys/errno.js';
import type { Holder } from '../fs-held.js';
import { writeAll } from './file-io.js';
import { notRegularError } from './virtual-path.js';

/**
 * The same file, its content replaced: a sandbox's mount on it stays on it. Unlike a write aside,
 * a full disk half-way leaves it torn: the price of holding it while the sandbox runs.
 */
export async function rewrite(target: string, virtualPath: string, data: Buffer, syncBytes: number): Promise<void> {
  const fd = fs.openSync(target, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) throw notRegularError(virtualPath);
    await writeAll(fd, data, 0, syncBytes);
    fs.ftruncateSync(fd, data.length);
  } finally {
    fs.closeSync(fd);
  }
}

/** A change a running sandbox's mount would not survive. */
export function heldError(virtualPath: string, holder: Holder, change: 'made' | 'removed'): AosError {
  const rules = holder.rules.map((r) => r.text).join(', ');
  return new AosError(
    'EBUSY',
    `${virtualPath} cannot be ${change} while ${holder.what} runs: its sandbox holds it for the policy rule(s) ${rules}; try again once it has ended`,
  );
}
