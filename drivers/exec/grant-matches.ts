/**
 * A command sees what its process may read, no more (red team s18). A grant whose wildcard is only
 * its `/**` tail is one directory, bound whole. One with a wildcard before that (`/users/*\/public/**`,
 * `/src/*.ts`) holds some paths under its fixed prefix, not all of it: bound at the prefix, a command
 * read `/users/alice/private` that FS_READ refuses. Such a grant is bound at each path it matches now,
 * found by a walk of its prefix bounded by param.execRuleWalkEntries (past it the run is refused, as
 * a glob rule's walk does): a directory matched by a subtree grant whole, a file matched by any
 * grant alone, a directory a grant matches only by name not at all (FS_READ lists it, reads nothing
 * in it). Symlinks are passed over (a bind would follow them), so nothing is reached through one.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import { compileGlob } from '../../sys/capabilities.js';

/**
 * The paths of the workspace a wildcard grant matches now, as grants of their own (`<dir>/**` for a
 * directory under a subtree grant, the path for a file). `prefix` is the grant's fixed directory.
 */
export async function grantMatches(workspace: string, glob: string, prefix: string, limit: number): Promise<string[]> {
  const tree = glob.endsWith('/**');
  const body = compileGlob(tree ? glob.slice(0, -3) : glob);
  const out: string[] = [];
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir === '/' ? workspace : path.join(workspace, dir), { withFileTypes: true }).catch(
      () => [],
    );
    for (const entry of entries) {
      if (++seen > limit)
        throw new AosError(
          'EACCES',
          `EXEC_CMD: the grant ${glob} has a wildcard before its end, so a command sees only what it matches, found by a walk of ${prefix}; that holds more than ${limit} entries to look through (param.execRuleWalkEntries): grant its directories by name`,
        );
      const child = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (entry.isSymbolicLink()) continue;
      const matches = body.test(child);
      if (matches && entry.isFile()) out.push(child);
      else if (matches && tree && entry.isDirectory()) out.push(`${child}/**`);
      else if (entry.isDirectory()) await walk(child);
    }
  };
  await walk(prefix);
  return out;
}
