/**
 * Which files a program name is, for the exec gate: a rule names `rm`, the gate sees device and
 * inode numbers. A name is looked up in every system directory the sandbox shows (read-only, out
 * of any agent's reach), with links followed to the file itself (`awk` → /etc/alternatives/awk →
 * /usr/bin/mawk), so whatever path, link or hard link the sandbox uses reaches the same file. The
 * dynamic loader, multi-call binaries (busybox, toybox) and the host's binfmt_misc interpreters
 * (qemu-user running a foreign copy of a program) run other programs' code without an exec of
 * their own: they are listed too, as runners the gate always asks about. What was found is kept
 * until a directory it came from changes (a package installed or upgraded, an alternative
 * re-pointed): a run then costs a dozen stats, not a few dozen synchronous look-ups (~1-3 ms).
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { compileExecGlob } from './program-glob.js';
import {
  binDirs,
  forgetBinDirs,
  interpreterOf,
  moduleEntries,
  packageEntries,
  SYSTEM_BIN_DIRS,
} from './program-places.js';

export { SYSTEM_BIN_DIRS } from './program-places.js';
const LOADER_DIRS = ['/usr/lib', '/usr/lib64', '/usr/lib32', '/lib', '/lib64'];
const LOADER_NAME = /^ld(-linux)?([-.\w]*)\.so(\.\d+)*$/;
const MULTI_CALL = ['busybox', 'toybox'];

export interface ProgramFile {
  /** R: a program a rule names; L: a program a secret lists; X: a runner (loader, multi-call); I: the interpreter of a ruled script. */
  kind: 'R' | 'L' | 'X' | 'I';
  /** The name it was found under (the rule's program), or the runner's own name. */
  name: string;
  /** Its real path, as the sandbox sees it too. */
  path: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  /** A Python entry point's module (pip3 runs `pip`): `python3 -m pip` runs the same program. */
  modules?: string[];
}

const listings = new Map<string, { mtimeMs: number; names: string[] }>();
/** Files found per (kind, pattern), and the runners, as of `stamp`. */
const found = new Map<string, ProgramFile[]>();
let runnersFound: ProgramFile[] | null = null;
let stamp = '';

/** Directories whose change may change what a name is. */
const WATCHED = [
  ...SYSTEM_BIN_DIRS,
  '/etc/alternatives',
  '/usr/lib',
  '/usr/lib64',
  '/lib64',
  '/usr/local',
  '/usr/libexec',
  '/proc/sys/fs/binfmt_misc',
];

/** Drop what was found when a directory it came from changed; call once before a run's look-ups. */
export function revalidateProgramFiles(): void {
  const now = WATCHED.map((dir) => {
    try {
      const info = statSync(dir);
      return `${info.ino}:${info.mtimeMs}`;
    } catch {
      return '-';
    }
  }).join('|');
  if (now === stamp) return;
  stamp = now;
  found.clear();
  scripts.clear();
  forgetBinDirs();
  runnersFound = null;
}

/** A directory's names, read again only when the directory changed. */
function namesIn(dir: string): string[] {
  try {
    const { mtimeMs } = statSync(dir);
    const known = listings.get(dir);
    if (known?.mtimeMs === mtimeMs) return known.names;
    const names = readdirSync(dir);
    listings.set(dir, { mtimeMs, names });
    return names;
  } catch {
    return [];
  }
}

function fileOf(candidate: string): { path: string; dev: bigint; ino: bigint; size: bigint } | null {
  try {
    const real = realpathSync.native(candidate);
    const info = statSync(real, { bigint: true });
    if (!info.isFile() || (info.mode & 0o111n) === 0n) return null;
    return { path: real, dev: info.dev, ino: info.ino, size: info.size };
  } catch {
    return null;
  }
}

/** Every system file the program `pattern` (a name, a glob on names, or an absolute path) is. */
export function filesOfProgram(pattern: string, kind: 'R' | 'L'): ProgramFile[] {
  const known = found.get(`${kind}\0${pattern}`);
  if (known) return known;
  const out = lookUp(pattern, kind);
  found.set(`${kind}\0${pattern}`, out);
  return out;
}

function lookUp(pattern: string, kind: 'R' | 'L'): ProgramFile[] {
  const candidates: string[] = [];
  if (pattern.includes('/')) {
    candidates.push(pattern);
  } else if (/[*?]/.test(pattern)) {
    const glob = compileExecGlob(pattern);
    for (const dir of binDirs())
      for (const name of namesIn(dir)) if (glob.test(name)) candidates.push(path.join(dir, name));
  } else {
    for (const dir of binDirs()) candidates.push(path.join(dir, pattern));
  }
  const found = candidates.map(fileOf);
  const out: ProgramFile[] = [];
  candidates.forEach((candidate, i) => {
    const file = found[i];
    if (!file || out.some((f) => f.dev === file.dev && f.ino === file.ino)) return;
    // A path names one file, under the rule's own spelling; a glob names each file by its name.
    out.push({
      kind,
      name: pattern.includes('/') ? pattern : /[*?]/.test(pattern) ? path.basename(candidate) : pattern,
      ...file,
    });
  });
  return out;
}

/**
 * A program that is a script (`#!/usr/bin/env node`, `#!/usr/bin/python3`): the kernel executes
 * its interpreter, so the gate names the script by the interpreter's arguments. The interpreter's
 * files (kind I, which the gate stops at), and a Python entry point's module.
 */
export function scriptOf(file: ProgramFile): Script | null {
  const key = `S\0${file.path}\0${file.dev}:${file.ino}`;
  const known = scripts.get(key);
  if (known !== undefined) return known;
  const out = readScript(file);
  scripts.set(key, out);
  return out;
}

export interface Script {
  interpreters: ProgramFile[];
  modules: string[];
  /**
   * Other files and directories the interpreter runs as this program (kind R, the script's name):
   * node's package directory and its main file (`node /usr/lib/node_modules/npm`), a Python module's
   * directory and its `__main__.py` (`python3 /usr/lib/python3/dist-packages/pip`).
   */
  entries: ProgramFile[];
}

const scripts = new Map<string, Script | null>();
// Modules an entry point imports that are not the program (the standard library's).
const NOT_THE_PROGRAM = new Set(['re', 'sys', 'os', 'io', 'json', 'importlib', 'runpy', 'typing', '__future__']);

function readScript(file: ProgramFile): Script | null {
  let head: string;
  try {
    const fd = openSync(file.path, 'r');
    try {
      const buf = Buffer.alloc(4096);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (!head.startsWith('#!')) return null;
  const interpreter = interpreterOf(file.path, head);
  if (interpreter === '') return null;
  const interpreters = interpreter.includes('/')
    ? [fileOf(interpreter)].flatMap((f) => (f ? [{ kind: 'I' as const, name: path.basename(interpreter), ...f }] : []))
    : filesOfProgram(interpreter, 'R').map((f) => ({ ...f, kind: 'I' as const }));
  const modules = new Set<string>();
  for (const m of head.matchAll(/^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.]*))/gm)) {
    const root = (m[1] ?? m[2] ?? '').split('.')[0] ?? '';
    if (root && !NOT_THE_PROGRAM.has(root)) modules.add(root);
  }
  for (const m of head.matchAll(/load_entry_point\(\s*['"]([A-Za-z0-9_.-]+?)(?:==[^'"]*)?['"]/g))
    modules.add((m[1] ?? '').toLowerCase().replace(/-/g, '_'));
  const python = /python/.test(path.basename(interpreter));
  const real = interpreters[0]?.path ?? interpreter;
  const entries = python ? moduleEntries(real, [...modules]) : packageEntries(file.path);
  return {
    interpreters,
    modules: python ? [...modules] : [],
    entries: entries.map((e) => ({ ...e, kind: 'R' as const, name: file.name })),
  };
}

/** The loader(s), multi-call binaries and binfmt interpreters of this host. */
export function runnerFiles(): ProgramFile[] {
  runnersFound ??= findRunners();
  return runnersFound;
}

function findRunners(): ProgramFile[] {
  const dirs = [...LOADER_DIRS];
  for (const name of namesIn('/usr/lib')) if (/-linux-gnu/.test(name)) dirs.push(`/usr/lib/${name}`);
  const candidates: Array<{ name: string; path: string }> = [];
  for (const dir of dirs)
    for (const name of namesIn(dir))
      if (LOADER_NAME.test(name)) candidates.push({ name: 'ld.so', path: path.join(dir, name) });
  for (const dir of binDirs()) for (const name of MULTI_CALL) candidates.push({ name, path: path.join(dir, name) });
  for (const interpreter of binfmtInterpreters()) candidates.push({ name: 'binfmt', path: interpreter });
  const out: ProgramFile[] = [];
  for (const candidate of candidates) {
    const file = fileOf(candidate.path);
    if (file && !out.some((f) => f.dev === file.dev && f.ino === file.ino))
      out.push({ kind: 'X', name: candidate.name, ...file });
  }
  return out;
}

/** The interpreters the host's binfmt_misc hands programs to (none when it is not mounted). */
function binfmtInterpreters(): string[] {
  const dir = '/proc/sys/fs/binfmt_misc';
  const out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry === 'register' || entry === 'status') continue;
    try {
      const text = readFileSync(path.join(dir, entry), 'utf8');
      const m = /^interpreter (.+)$/m.exec(text);
      if (m && /^enabled$/m.test(text)) out.push(m[1] as string);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Forget everything found (tests that install programs). */
export function forgetProgramFiles(): void {
  listings.clear();
  found.clear();
  scripts.clear();
  forgetBinDirs();
  runnersFound = null;
  stamp = '';
}
