import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isExecutableFile } from './find-bwrap.js';

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
// is where private keys live. passwd, group and hosts are synthesized (sandbox-etc.ts).
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
