/**
 * Which program a word on the command line names, as the exec gate names programs: by the file
 * (device and inode), so `rm`, `/bin/rm` and `/usr/bin/rm` are one program to a rule, however the
 * rule spells it (`exec:rm`, `exec:/bin/rm`). The first check uses it for an early answer; the gate
 * compares the file the kernel actually executed (drivers/exec/gate/).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { filesOfProgram, revalidateProgramFiles } from '../../drivers/exec/gate/program-files.js';
import { programGlob } from './exec-pattern.js';

/** The sandbox's PATH (drivers/exec/bwrap-args.ts): where a bare name is looked up. */
const SANDBOX_PATH = ['/usr/local/bin', '/usr/bin', '/bin'];
const SYSTEM = ['/usr/', '/bin/', '/sbin/', '/lib/', '/lib32/', '/lib64/', '/libx32/'];

function fileKey(file: string): string | null {
  try {
    const info = statSync(file, { bigint: true });
    return info.isFile() ? `${info.dev}:${info.ino}` : null;
  } catch {
    return null;
  }
}

/** The file a command word runs in the sandbox, as `dev:ino`, or null (a workspace file, a name not installed). */
export function commandFile(word: string): string | null {
  if (word.includes('/'))
    return word.startsWith('/') && SYSTEM.some((dir) => word.startsWith(dir)) ? fileKey(word) : null;
  for (const dir of SANDBOX_PATH) {
    const key = fileKey(path.join(dir, word));
    if (key) return key;
  }
  return null;
}

/** The files a rule's program names, as `dev:ino`. */
export function ruleProgramFiles(program: string): Set<string> {
  revalidateProgramFiles();
  return new Set(filesOfProgram(program, 'R').map((f) => `${f.dev}:${f.ino}`));
}

/** Whether a command word names the rule's program: by its name, or by the file it runs. */
export function namesProgram(program: string | null, word: string): boolean {
  if (program === null) return true;
  const glob = programGlob(program);
  if (glob.test(word) || glob.test(path.basename(word))) return true;
  const file = commandFile(word);
  return file !== null && ruleProgramFiles(program).has(file);
}
