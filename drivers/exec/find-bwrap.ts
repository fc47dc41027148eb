import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
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
