/**
 * What a sandbox takes from the host, found once (it does not change while the kernel runs): the
 * bwrap binary (findBwrap) and the host's layout (detectHostLayout) — the system directories to
 * recreate next to the read-only /usr, the few /etc entries that hold no secret, the shell, and
 * util-linux's prlimit and unshare.
 */
import { constants } from 'node:fs';
import { access, lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

// System locations first so a writable relative PATH entry cannot shadow the sandbox binary.
const STANDARD_DIRS = ['/usr/bin', '/usr/local/bin', '/bin'];

const cache = new Map<string, Promise<string | null>>();

/**
 * Path of the bwrap binary, or null when it is not installed. `AOS_BWRAP` overrides the lookup:
 * a path to use, or `none` to behave as if bwrap were missing (tests use it).
 */
export async function findBwrap(): Promise<string | null> {
  const override = process.env.AOS_BWRAP ?? '';
  let found = cache.get(override);
  if (!found) {
    found = lookUpBwrap(override);
    cache.set(override, found);
  }
  return found;
}

async function lookUpBwrap(override: string): Promise<string | null> {
  if (override === 'none') return null;
  if (override !== '') return (await isExecutableFile(override)) ? path.resolve(override) : null;
  const pathDirs = (process.env.PATH ?? '').split(':').filter((dir) => path.isAbsolute(dir));
  for (const dir of [...STANDARD_DIRS, ...pathDirs]) {
    const candidate = path.join(dir, 'bwrap');
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

// ---- the host's layout ----

/** What the sandbox borrows from the host: found once, since it does not change while we run. */
export interface HostLayout {
  /** bwrap arguments that recreate /bin, /lib, ... next to the read-only /usr. */
  rootArgs: string[];
  /** Absolute /etc entries to bind read-only. */
  etcEntries: string[];
  shell: string;
  prlimit: string | null;
  /** util-linux unshare, which starts the guard that ties a sandbox's life to the kernel's. */
  unshare: string | null;
}

const ROOT_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

// /etc is not bound whole: it holds host secrets (shadow, ssl/private, tool credentials), and when aos is
// root the sandbox user maps to host root, so even 0600 files would be readable. Only package-owned,
// secret-free runtime data is bound: Debian's alternatives symlinks, the loader cache, time zone, MIME and
// magic tables, and interpreter config dirs that /usr symlinks into. No /etc/ssl: there is no network and it
// is where private keys live. passwd, group and hosts are synthesized (bwrap-args.ts).
const ETC_ALLOWED = [
  'alternatives',
  'ld.so.cache',
  'localtime',
  'timezone',
  'mime.types',
  'magic',
  'magic.mime',
  'perl',
  'python3',
];
const ETC_ALLOWED_PATTERN = /^(python3\.\d+|java-\d+-openjdk)$/;

let cached: Promise<HostLayout> | undefined;

export function detectHostLayout(): Promise<HostLayout> {
  cached ??= readHostLayout();
  return cached;
}

async function readHostLayout(): Promise<HostLayout> {
  const rootArgs = (await Promise.all(ROOT_DIRS.map((name) => mirrorRootDir(name)))).flat();
  const shell = (await isExecutableFile('/bin/bash')) ? '/bin/bash' : '/bin/sh';
  const prlimit = await firstExecutable(['/usr/bin/prlimit', '/bin/prlimit']);
  const unshare = await firstExecutable(['/usr/bin/unshare', '/bin/unshare']);
  return { rootArgs, etcEntries: await listEtcEntries(), shell, prlimit, unshare };
}

/** usrmerged hosts have /bin -> usr/bin: recreate the link; otherwise bind the real directory. */
async function mirrorRootDir(name: string): Promise<string[]> {
  const hostPath = `/${name}`;
  try {
    const info = await lstat(hostPath);
    if (info.isSymbolicLink()) {
      const target = await readlink(hostPath);
      if (path.resolve('/', target).startsWith('/usr/')) return ['--symlink', target, hostPath];
      return ['--ro-bind', await realpath(hostPath), hostPath];
    }
    return info.isDirectory() ? ['--ro-bind', hostPath, hostPath] : [];
  } catch {
    return [];
  }
}

async function listEtcEntries(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir('/etc');
  } catch {
    return [];
  }
  return names
    .filter((name) => ETC_ALLOWED.includes(name) || ETC_ALLOWED_PATTERN.test(name))
    .sort()
    .map((name) => `/etc/${name}`);
}

async function firstExecutable(candidates: string[]): Promise<string | null> {
  for (const candidate of candidates) {
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}
