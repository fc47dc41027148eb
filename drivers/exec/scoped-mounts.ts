/**
 * Scoped exec: which parts of the workspace a command sees, from the process's fs grants, and where
 * it starts. Each glob is cut to its fixed directory prefix (`/src/**` → `/src`); read prefixes are
 * bound read-only, write prefixes read-write (bwrap cannot bind write-only), parents before
 * children. A prefix whose real path leaves the workspace (a symlink an agent made) refuses the call.
 *
 * The working directory (workingDirectory) is the process's, inside the sandbox's /workspace. It is
 * made when the process may write there and is not yet, and checked before bwrap runs, so that a
 * directory that is gone, is a file, leads out through a symlink, or is not among the paths scoped
 * exec mounts gives a sentence naming it, not bwrap's chdir error.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import type { BindSources } from './bind-sources.js';
import { grantMatches } from './grant-matches.js';

export interface ExecMount {
  /** Inside the workspace, `/` for all of it. */
  path: string;
  writable: boolean;
  /** A directory to make when it is not there (a write grant's directory, not a file a grant names). */
  makes?: boolean;
}

export interface FsGrants {
  read: readonly string[];
  write: readonly string[];
}

/** The workspace paths a process's fs capabilities grant, for the sandbox's binds (a bare kind means the whole workspace). */
export function fsGrants(caps: readonly string[]): { read: string[]; write: string[] } {
  const of = (kind: string): string[] =>
    caps
      .filter((c) => c === kind || c.startsWith(`${kind}:`))
      .map((c) => (c === kind ? '/**' : c.slice(kind.length + 1)));
  return { read: of('fs.read'), write: of('fs.write') };
}

/**
 * The directory part of a glob that holds no wildcard: `/a/b*.ts` → `/a`, `/**` → `/`. Only `*` is
 * one (sys/capabilities.ts compileGlob: `?`, `[` and `{` are characters of a name, as FS_* read them).
 */
export function fixedPrefix(glob: string): string {
  const wild = glob.indexOf('*');
  const fixed = wild === -1 ? glob : glob.slice(0, wild);
  const dir = wild === -1 ? fixed : fixed.slice(0, fixed.lastIndexOf('/') + 1);
  const clean = path.posix.normalize(`/${dir}`).replace(/\/+$/, '');
  return clean === '' ? '/' : clean;
}

function under(child: string, parent: string): boolean {
  return parent === '/' || child === parent || child.startsWith(`${parent}/`);
}

/** Whether a grant holds a wildcard anywhere but its `/**` tail: it is bound where it matches (grant-matches.ts). */
function matchedGrant(glob: string): boolean {
  return (glob.endsWith('/**') ? glob.slice(0, -3) : glob).includes('*');
}

/**
 * The grants a command's mounts are made of: each wildcard grant as the paths it matches now
 * (grant-matches.ts), the others as they are. A write grant is bound read-write (bwrap cannot bind a
 * path write-only), so a command reads what is under a path it may write (docs/sandbox.md).
 */
export async function commandGrants(workspace: string, grants: FsGrants, walkLimit: number): Promise<FsGrants> {
  const expand = async (globs: readonly string[]): Promise<string[]> =>
    (
      await Promise.all(
        globs.map((g) => (matchedGrant(g) ? grantMatches(workspace, g, fixedPrefix(g), walkLimit) : [g])),
      )
    ).flat();
  return { read: await expand(grants.read), write: await expand(grants.write) };
}

/** The mounts for these grants, parents first, without ones their parent already gives alike. */
export function planMounts(grants: FsGrants): ExecMount[] {
  const writes = [...new Set(grants.write.map(fixedPrefix))];
  const points = [...new Set([...grants.read.map(fixedPrefix), ...writes])].sort(
    (a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b),
  );
  const out: ExecMount[] = [];
  for (const p of points) {
    const writable = writes.some((w) => under(p, w));
    // A grant that names one path (`/notes.txt`) may name a file: nothing is made for it.
    const makes = grants.write.some((g) => fixedPrefix(g) === p && g.includes('*'));
    const parent = [...out].reverse().find((m) => under(p, m.path));
    if (parent && parent.writable === writable) continue;
    out.push(makes ? { path: p, writable, makes } : { path: p, writable });
  }
  return out;
}

/**
 * Host paths for the mounts: write prefixes are made (by `makeDir`, which never follows a symlink: a
 * plain mkdir -p would make directories wherever a link in the workspace leads); a path that
 * resolves outside the workspace refuses the call.
 */
export async function resolveMounts(
  workspace: string,
  mounts: readonly ExecMount[],
  makeDir?: (virtualPath: string) => Promise<void>,
): Promise<Array<ExecMount & { host: string }>> {
  const out: Array<ExecMount & { host: string }> = [];
  for (const mount of mounts) {
    const wanted = mount.path === '/' ? workspace : path.join(workspace, mount.path);
    if (mount.writable && mount.makes && makeDir) {
      try {
        await makeDir(mount.path);
      } catch (error) {
        if (error instanceof AosError && error.code === 'EACCES')
          throw new AosError(
            'EACCES',
            `EXEC_CMD: the granted path ${mount.path} leads outside the workspace (a symbolic link on the way); it is not mounted`,
          );
        throw new AosError(
          'EACCES',
          `EXEC_CMD: the granted path ${mount.path} cannot be made (${error instanceof Error ? error.message : String(error)}); it is not mounted`,
        );
      }
    }
    let real: string;
    try {
      real = await realpath(wanted);
    } catch {
      continue; // Nothing there to read yet.
    }
    if (real !== workspace && !real.startsWith(`${workspace}/`)) {
      throw new AosError(
        'EACCES',
        `EXEC_CMD: the granted path ${mount.path} leads outside the workspace (a symbolic link); it is not mounted`,
      );
    }
    if (real !== wanted)
      throw new AosError(
        'EACCES',
        `EXEC_CMD: the granted path ${mount.path} is reached through a symbolic link; it is not mounted`,
      );
    out.push({ ...mount, host: real });
  }
  return out;
}

/**
 * bwrap options that build /workspace from the mounts (an empty read-only directory where nothing
 * is granted), each bound by descriptor (bind-sources.ts): a granted directory swapped for a
 * symlink after the check above cannot bring another directory in.
 */
export function mountArgs(mounts: ReadonlyArray<ExecMount & { host: string }>, sources: BindSources): string[] {
  const args = mounts.some((m) => m.path === '/') ? [] : ['--dir', '/workspace'];
  for (const m of mounts)
    args.push(...sources.bind(m.host, m.path === '/' ? '/workspace' : `/workspace${m.path}`, m.writable));
  return args;
}

/** The sandbox path to start in, or null for /workspace itself (`cwd` `/`). */
export async function workingDirectory(
  workspace: string,
  cwd: string,
  grants: FsGrants | undefined,
  makeDir?: (virtualPath: string) => Promise<void>,
): Promise<string | null> {
  if (cwd === '/') return null;
  const covers = (globs: readonly string[]): boolean => globs.some((glob) => under(cwd, fixedPrefix(glob)));
  if (grants && !covers([...grants.read, ...grants.write])) {
    throw new AosError(
      'EACCES',
      `EXEC_CMD: your working directory ${cwd} is not among the paths your fs capabilities grant, so a command cannot start there`,
    );
  }
  // Made where the process may write (all of the workspace without grants), as FS_WRITE makes parents.
  if (makeDir && (!grants || covers(grants.write))) {
    await makeDir(cwd).catch((error: unknown) => {
      throw new AosError(
        'EACCES',
        `EXEC_CMD: your working directory ${cwd} cannot be made: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }
  const wanted = path.join(workspace, cwd);
  let real: string;
  try {
    real = await realpath(wanted);
  } catch {
    throw new AosError(
      'ENOENT',
      `EXEC_CMD: your working directory ${cwd} does not exist; make it with FS_WRITE, or give commands absolute paths`,
    );
  }
  if (real !== wanted)
    throw new AosError(
      'EACCES',
      `EXEC_CMD: your working directory ${cwd} is reached through a symbolic link; a command does not start there`,
    );
  if (!(await stat(real)).isDirectory())
    throw new AosError('ENOTDIR', `EXEC_CMD: your working directory ${cwd} is not a directory`);
  return `/workspace${cwd}`;
}
