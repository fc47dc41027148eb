/**
 * Where a program's files are, for program-files.ts: the system's bin directories a name is looked
 * up in — the standard ones, and every bin or sbin directory of a second installation under /usr
 * (a vendored Python's own pip3 and python3, a JDK's, PostgreSQL's), which the sandbox can run by
 * its path as well — and, for a ruled script, the other files and directories its interpreter runs
 * as that program: node's package (`node /usr/lib/node_modules/npm`), a Python module's directory
 * and `__main__.py` (`python3 /usr/lib/python3/dist-packages/pip`).
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where the sandbox's programs live: bound read-only from the host at the same paths. */
export const SYSTEM_BIN_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
  '/usr/libexec',
  '/usr/lib/git-core',
];
/** Trees searched for other installations' bin directories, and how deep. */
const INSTALL_ROOTS = ['/usr/lib', '/usr/local', '/usr/libexec', '/usr/lib64'];
const INSTALL_DEPTH = 6;
const MAX_DIRS = 20_000;

let found: string[] | null = null;

/** The standard bin directories, then every other bin/sbin directory under the install roots (found once, until forgotten). */
export function binDirs(): string[] {
  found ??= [...SYSTEM_BIN_DIRS, ...otherBinDirs().filter((d) => !SYSTEM_BIN_DIRS.includes(d))];
  return found;
}

/** Forget the bin directories found (a directory they came from changed). */
export function forgetBinDirs(): void {
  found = null;
}

function otherBinDirs(): string[] {
  const out: string[] = [];
  let seen = 0;
  const walk = (dir: string, depth: number): void => {
    if (depth > INSTALL_DEPTH || seen++ > MAX_DIRS) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      // A node package's bin holds its scripts, reached through node (and linked from /usr/bin when installed).
      if (!entry.isDirectory() || entry.name === 'node_modules') continue;
      const sub = path.join(dir, entry.name);
      if (entry.name === 'bin' || entry.name === 'sbin') out.push(sub);
      else walk(sub, depth + 1);
    }
  };
  for (const root of INSTALL_ROOTS) walk(root, 1);
  return out;
}

type Entry = { path: string; dev: bigint; ino: bigint; size: bigint };

/** A file or directory (a directory's size is -1: never the size of a file the gate compares). */
function entryOf(candidate: string): Entry | null {
  try {
    const real = realpathSync.native(candidate);
    const info = statSync(real, { bigint: true });
    if (!info.isFile() && !info.isDirectory()) return null;
    return { path: real, dev: info.dev, ino: info.ino, size: info.isDirectory() ? -1n : info.size };
  } catch {
    return null;
  }
}

/** node's package of a script (the nearest package.json above it): its directory and its main file. */
export function packageEntries(script: string): Entry[] {
  for (let dir = path.dirname(script); dir !== path.dirname(dir) && dir.startsWith('/usr/'); dir = path.dirname(dir)) {
    let main: unknown;
    try {
      main = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { main?: unknown }).main;
    } catch {
      continue;
    }
    const file = path.resolve(dir, typeof main === 'string' ? main : 'index.js');
    return [dir, file, `${file}.js`, path.join(file, 'index.js')].map(entryOf).filter((e): e is Entry => e !== null);
  }
  return [];
}

/** A Python entry point's modules where its interpreter finds them: each package's directory and `__main__.py`, or a module's file. */
export function moduleEntries(interpreter: string, modules: readonly string[]): Entry[] {
  const version = path.basename(interpreter);
  const own = path.join(path.dirname(path.dirname(interpreter)), 'lib', version);
  const roots = [
    '/usr/lib/python3/dist-packages',
    `/usr/lib/${version}`,
    `/usr/lib/${version}/site-packages`,
    `/usr/lib/${version}/dist-packages`,
    `/usr/local/lib/${version}/dist-packages`,
    `/usr/local/lib/${version}/site-packages`,
    own,
    `${own}/site-packages`,
  ];
  const out: Entry[] = [];
  for (const root of roots) {
    for (const m of modules) {
      for (const candidate of [path.join(root, m), path.join(root, m, '__main__.py'), path.join(root, `${m}.py`)]) {
        const e = entryOf(candidate);
        if (e && !out.some((o) => o.dev === e.dev && o.ino === e.ino)) out.push(e);
      }
    }
  }
  return out;
}

/**
 * The interpreter of a script, from its first lines: the `#!` line's (through `env`, `env -S`), or
 * the Python a `#!/bin/sh` launcher execs (pip's and distlib's for long paths: `'''exec' "PYTHON" "$0" "$@"`,
 * PYTHON often `$(dirname -- "$(realpath -- "$0")")/python3.12`, beside the script).
 */
export function interpreterOf(script: string, head: string): string {
  const lines = head.split('\n');
  const words = (lines[0] ?? '').slice(2).trim().split(/\s+/);
  let interpreter = words[0] ?? '';
  if (path.basename(interpreter) === 'env') {
    // env's own options, then NAME=value words, then the program (`-S` splits the rest into words).
    const rest = words.slice(1).flatMap((w) => (w === '-S' ? [] : [w]));
    interpreter = rest.find((w) => !w.startsWith('-') && !w.includes('=')) ?? '';
  }
  const launcher = /^'''exec' "(.+)" "\$0" "\$@"$/.exec(lines[1] ?? '');
  if (/^(\/usr)?\/bin\/(sh|bash|dash)$/.test(interpreter) && launcher) {
    const beside = /^\$\(dirname -- "\$\(realpath -- "\$0"\)"\)\/([^/"$]+)$/.exec(launcher[1] as string);
    if (beside) return path.join(path.dirname(script), beside[1] as string);
    if ((launcher[1] as string).startsWith('/')) return launcher[1] as string;
  }
  return interpreter;
}
