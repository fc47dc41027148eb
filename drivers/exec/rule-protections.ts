/**
 * What the policy's fs rules take away from a sandbox, found on the host before each run: a deny or
 * ask `fs.write` rule makes its path read-only, an `fs.read` one hides it. A write rule with a
 * wildcard in its last name (`/src/*.js`) holds its matches and the directory's list of names (a new
 * name could match); one with a wildcard deeper holds all of its fixed prefix (a command could
 * create a match anywhere there). A read rule with a wildcard hides each match there is, found by a
 * bounded walk. A write rule's directory not there yet is made (through the fs driver's confined
 * walk), so that a command cannot make it and write in it; a file not there yet holds the names of
 * the directory it would be made in. A path a symlink leads through cannot be held as written, so
 * a write rule there refuses the run.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import { type FsRule, fsRuleShape, restricting, ruleMatches } from '../fs-rules.js';

export interface Protection {
  /** The workspace path it holds on. */
  path: string;
  effect: 'hide' | 'read-only';
  /** A directory (hidden by an empty tmpfs) or anything else (hidden by an empty mode-000 file). */
  dir: boolean;
  /** The rules that put it there. */
  rules: FsRule[];
  /** Wider than the rules' own paths: a wildcard below (`glob`, `names`), or the rule's path is not there yet (`missing`). */
  wider: 'glob' | 'names' | 'missing' | null;
  /**
   * Names directly in a read-only directory that stay as writable as before (bound again onto
   * themselves): only the directory's own list of names is held, where a new name could be what a
   * rule protects. Absent: all of it is read-only.
   */
  keep?: string[];
}

/** A part of the workspace as a sandbox shows it (a granted prefix, or all of it). */
export interface WorkspaceView {
  /** The workspace path shown, `/` for all of it. */
  path: string;
  /** Where the sandbox shows it. */
  at: string;
  writable: boolean;
  /** Whether what is shown is a directory. */
  dir: boolean;
  /** Whether `at` is a mount point of its own (false: it lies inside a bigger bind, e.g. an MCP server's host path). */
  mounted: boolean;
}

export interface ProtectionOptions {
  views: readonly WorkspaceView[];
  /** Makes a workspace directory without following a symlink; without it, a rule's missing directory holds its parent's names. */
  makeDir?: (virtualPath: string) => Promise<void>;
  /** Entries a glob read rule's walk looks at, at most (param.execRuleWalkEntries). */
  walkLimit: number;
  /** Names of a directory kept writable one by one, at most (param.execRuleKeptNames): past it the directory is read-only whole. */
  keptLimit: number;
  /** Matches a glob read rule hides one by one, at most (param.execRuleHiddenMatches). */
  hiddenLimit: number;
}

type Found = 'dir' | 'file' | 'missing' | 'link';

function under(child: string, parent: string): boolean {
  return parent === '/' || child === parent || child.startsWith(`${parent}/`);
}

const hostOf = (workspace: string, virtualPath: string): string =>
  virtualPath === '/' ? workspace : path.join(workspace, virtualPath);

/** Only a name that is not there is missing: any other failure to look (a directory a command made unreadable, EACCES) refuses the run rather than hold nothing. */
function absent(error: unknown, rule: FsRule, at: string): true {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return true;
  throw new AosError(
    'EACCES',
    `the policy rule ${rule.text} cannot be held: ${at} cannot be looked at (${code ?? String(error)}), so nothing was run until it can be (a command may have changed its permissions: chmod u+rwx it)`,
  );
}

/** What is at a workspace path, walked name by name without following anything: `link` when a symlink is on the way. */
async function inspect(
  workspace: string,
  virtualPath: string,
  rule: FsRule,
): Promise<{ found: Found; nearest: string }> {
  let at = '/';
  for (const name of virtualPath.split('/').filter(Boolean)) {
    const next = at === '/' ? `/${name}` : `${at}/${name}`;
    let info;
    try {
      info = await lstat(hostOf(workspace, next));
    } catch (error) {
      absent(error, rule, next);
      return { found: 'missing', nearest: at };
    }
    if (info.isSymbolicLink()) return { found: 'link', nearest: at };
    if (!info.isDirectory())
      return { found: next === virtualPath ? 'file' : 'missing', nearest: next === virtualPath ? at : next };
    at = next;
  }
  return { found: 'dir', nearest: at };
}

/** Every protection the rules ask of a sandbox with these views, merged by path. */
export async function planProtections(
  workspace: string,
  rules: readonly FsRule[],
  options: ProtectionOptions,
): Promise<Protection[]> {
  const out = new Map<string, Protection>();
  const add = (p: Protection): void => {
    const key = `${p.effect}\0${p.path}`;
    const had = out.get(key);
    if (!had) return void out.set(key, p);
    had.rules.push(...p.rules.filter((r) => !had.rules.includes(r)));
    // A name one rule keeps writable but another holds is held; all of it read-only wins over any.
    if (had.keep === undefined || p.keep === undefined) delete had.keep;
    else had.keep = had.keep.filter((name) => p.keep?.includes(name));
    if (had.keep === undefined) had.wider = p.wider === null || had.wider === null ? null : had.wider;
  };
  for (const rule of restricting(rules, 'fs.write')) await planWrite(workspace, rule, options, add);
  for (const rule of restricting(rules, 'fs.read')) await planRead(workspace, rule, options, add);
  return [...out.values()];
}

const writableAt = (views: readonly WorkspaceView[], p: string): boolean => {
  let best: WorkspaceView | null = null;
  for (const v of views) if (under(p, v.path) && (best === null || v.path.length > best.path.length)) best = v;
  return best?.writable ?? false;
};
const visibleAt = (views: readonly WorkspaceView[], p: string): boolean =>
  views.some((v) => under(p, v.path) || under(v.path, p));

async function planWrite(
  workspace: string,
  rule: FsRule,
  options: ProtectionOptions,
  add: (p: Protection) => void,
): Promise<void> {
  const { prefix, form } = fsRuleShape(rule);
  if (!options.views.some((v) => v.writable && (under(prefix, v.path) || under(v.path, prefix)))) return;
  const { found, nearest } = await inspect(workspace, prefix, rule);
  if (found === 'link') throw linkError(rule, prefix);
  if (found === 'dir' && form === 'names') {
    const keep = await namesIn(workspace, prefix, (child) => !ruleMatches(rule, child), options.keptLimit);
    return add({
      path: prefix,
      effect: 'read-only',
      dir: true,
      rules: [rule],
      wider: 'names',
      ...(keep ? { keep } : {}),
    });
  }
  if (found !== 'missing')
    return add({
      path: prefix,
      effect: 'read-only',
      dir: found === 'dir',
      rules: [rule],
      wider: form === 'glob' || form === 'names' ? form : null,
    });
  if (!writableAt(options.views, prefix)) return;
  if (form !== 'path' && options.makeDir) {
    try {
      await options.makeDir(prefix);
      return add({
        path: prefix,
        effect: 'read-only',
        dir: true,
        rules: [rule],
        wider: form === 'glob' || form === 'names' ? form : null,
      });
    } catch (error) {
      if (error instanceof AosError && error.code === 'EACCES') throw linkError(rule, prefix);
      // A file on the way: holding the nearest name that is there keeps the path from being made.
    }
  }
  // Not there yet: the directory it would be made in keeps its names (a file on the way is held itself).
  const near = await inspect(workspace, nearest, rule);
  if (near.found === 'link') throw linkError(rule, nearest);
  const keep = near.found === 'dir' ? await namesIn(workspace, nearest, () => true, options.keptLimit) : undefined;
  add({
    path: nearest,
    effect: 'read-only',
    dir: near.found === 'dir',
    rules: [rule],
    wider: 'missing',
    ...(keep ? { keep } : {}),
  });
}

/**
 * The names directly in a directory that `keep` accepts (symlinks left out: a bind would follow them,
 * and they stay as they are), or undefined past `limit` of them: the directory is read-only whole.
 */
async function namesIn(
  workspace: string,
  dir: string,
  keep: (child: string) => boolean,
  limit: number,
): Promise<string[] | undefined> {
  const entries = await readdir(hostOf(workspace, dir), { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => !e.isSymbolicLink() && keep(dir === '/' ? `/${e.name}` : `${dir}/${e.name}`))
    .map((e) => e.name);
  return names.length > limit ? undefined : names;
}

async function planRead(
  workspace: string,
  rule: FsRule,
  options: ProtectionOptions,
  add: (p: Protection) => void,
): Promise<void> {
  const { prefix, form } = fsRuleShape(rule);
  if (!visibleAt(options.views, prefix)) return;
  // A symlink holds no content of its own: what it leads to is held, or not, by its own path.
  const { found } = await inspect(workspace, prefix, rule);
  // A subtree's directory not there yet is made and hidden, as a write rule's is: else a command could
  // make it a symlink to a directory it reads, and what a person later puts in it would land there.
  if (found === 'missing' && form === 'subtree' && options.makeDir && writableAt(options.views, prefix)) {
    try {
      await options.makeDir(prefix);
      return add({ path: prefix, effect: 'hide', dir: true, rules: [rule], wider: null });
    } catch (error) {
      if (error instanceof AosError && error.code === 'EACCES') throw linkError(rule, prefix);
      return; // A file on the way: nothing can be put below it.
    }
  }
  if (found === 'missing' || found === 'link') return;
  if (form === 'subtree' || form === 'path' || ruleMatches(rule, prefix))
    return add({ path: prefix, effect: 'hide', dir: found === 'dir', rules: [rule], wider: null });
  if (found !== 'dir') return;
  let seen = 0;
  let hidden = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(hostOf(workspace, dir), { withFileTypes: true });
    } catch (error) {
      absent(error, rule, dir);
      return; // Gone since.
    }
    for (const entry of entries) {
      seen += 1;
      if (seen > options.walkLimit)
        throw walkError(
          rule,
          prefix,
          `holds more than ${options.walkLimit} entries to look through (param.execRuleWalkEntries)`,
        );
      const child = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (entry.isSymbolicLink() || !visibleAt(options.views, child)) continue;
      if (!ruleMatches(rule, child)) {
        if (entry.isDirectory() && form === 'glob') await walk(child);
        continue;
      }
      if (++hidden > options.hiddenLimit)
        throw walkError(
          rule,
          prefix,
          `holds more than ${options.hiddenLimit} matches to hide (param.execRuleHiddenMatches)`,
        );
      add({ path: child, effect: 'hide', dir: entry.isDirectory(), rules: [rule], wider: null });
    }
  };
  await walk(prefix);
}

function linkError(rule: FsRule, at: string): AosError {
  return new AosError(
    'EACCES',
    `the policy rule ${rule.text} cannot be held on ${at}, which is or passes through a symbolic link: no command or MCP server runs over it until it is a plain directory or file again`,
  );
}

function walkError(rule: FsRule, prefix: string, past: string): AosError {
  return new AosError(
    'EACCES',
    `the policy rule ${rule.text} hides each matching file from commands and MCP servers, and ${prefix} ${past}, so nothing was run; a rule with a longer fixed part (e.g. /keys/*.pem) is looked through quickly`,
  );
}
