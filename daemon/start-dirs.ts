/**
 * What a kernel's directories must be before it starts: the home and the workspace each a directory
 * it can write, or one it can make. Checked by the starting daemon (a workspace that is a file was a
 * raw `EEXIST … mkdir`) and, before anything stops, by `aos kernel restart` (start-check.ts), so
 * that a restart never stops a kernel it cannot start again (issue 51.4).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** Why `dir` cannot be the kernel's `what` (the home, the workspace), naming the variable that moves it; null when it can. */
export async function directoryProblem(what: string, dir: string, variable: string): Promise<string | null> {
  const fix = `set ${variable} to a directory you can write`;
  for (let at = dir; ; at = path.dirname(at)) {
    let info;
    try {
      info = await stat(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Missing (or under a file, found higher up): it would be made; what is above it decides.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(at) !== at) continue;
      return `${what} ${dir} cannot be read: ${(error as Error).message}; ${fix}`;
    }
    if (!info.isDirectory())
      return at === dir
        ? `${what} ${dir} is a file, not a directory: ${fix}`
        : `${what} ${dir} cannot be made: ${at} is a file, not a directory; ${fix}`;
    try {
      await access(at, at === dir ? constants.R_OK | constants.W_OK | constants.X_OK : constants.W_OK | constants.X_OK);
    } catch {
      return at === dir
        ? `${what} ${dir} is not writable by this user: ${fix}`
        : `${what} ${dir} cannot be made: ${at} is not writable by this user; ${fix}`;
    }
    return null;
  }
}
