/**
 * Workspace paths a running sandbox holds by a mount of its own (exec/rule-overlays.ts): a hidden
 * or read-only file, a hidden directory. Linux detaches a mount in another mount namespace when
 * the path it sits on is unlinked or replaced (a rename over it): an FS_WRITE renaming new content
 * over a file an MCP server's sandbox was not to read showed that server the new content, and a
 * file held read-only became writable in it. So, while a sandbox runs (an EXEC_CMD, an MCP
 * server), the fs driver changes what it holds without taking the name from under its mount:
 *
 *   - a file held by a mount of its own is rewritten in place, not replaced (`inPlace`);
 *   - what a running sandbox's read rule covers and no mount of its hides (a name made since its
 *     mounts were, or one not inside a directory it hides) is not written while it runs
 *     (`refusesWrite`): it would see it;
 *   - a held path, or a directory above one, is not removed while it runs (`refusesRemoval`).
 *
 * A sandbox that can be stopped and started again (an MCP server: its next use plans its mounts
 * anew) is stopped first (`clearFor`); one that cannot (an EXEC_CMD) makes the change wait: EBUSY.
 *
 * The check and the rename are not one step: a write that found no sandbox running renames a
 * moment later, on the thread pool. So a sandbox holds from before it plans its mounts
 * (`beginHold`) and plans them only once every rename begun before it could be seen has landed
 * (fs/file-io.ts `renames`: each write aside); while it plans, what its rules cover is not
 * made, every existing file is rewritten in place, and a removal waits for its mounts.
 *
 * What changes the workspace from outside aos (an editor, git) is not seen here: a sandbox that
 * outlives such a change sees it (docs/policy.md, "While a sandbox runs").
 */
import fs, { constants } from 'node:fs';
import path from 'node:path';
import { AosError } from '../sys/errno.js';
import { renames, writeAll } from './fs/file-io.js';
import { notRegularError } from './fs/virtual-path.js';
import { type FsRule, ruleMatches } from './fs-rules.js';

/** A mount of a running sandbox (exec/rule-protections.ts Protection): the path it sits on. */
export interface HeldMount {
  readonly path: string;
  readonly effect: 'hide' | 'read-only';
  readonly dir: boolean;
}

export interface Holder {
  /** Who holds it, for the refusal's message: `an EXEC_CMD`, `MCP server "files"`. */
  readonly what: string;
  /** The fs rules its mounts are made from. */
  readonly rules: readonly FsRule[];
  /** The workspace paths it sees (an EXEC_CMD's grants): nothing outside them is held for it. Absent: the whole workspace. */
  readonly views?: readonly string[];
  /** Its directory views by device and inode (their path when it began): what it sees under one moved since. */
  readonly viewDirs?: ReadonlyMap<string, string>;
  /** Filled in once they are planned: until then only its rules hold (what they cover is not written). */
  readonly mounts: HeldMount[];
  /** Stops the sandbox; its holder is let go once it has ended. Absent: it cannot be stopped for this. */
  readonly stop?: () => Promise<void>;
}

const holders = new Set<Holder>();
/** Sandboxes holding paths now: while there are none the fs driver runs none of this file's code. */
export const running: ReadonlySet<Holder> = holders;

/** Holders still planning their mounts, and who waits for them (a removal). */
const planning = new Set<Holder>();
let planned: { promise: Promise<void>; resolve: () => void } | null = null;

export interface Hold {
  /** Its mounts are planned (before its sandbox starts): held by path from now on; `rules`, when they changed meanwhile. */
  planned(mounts: readonly HeldMount[], rules?: readonly FsRule[]): void;
  /** Its sandbox has ended, or never started. */
  release(): void;
}

/**
 * Hold for a sandbox about to plan its mounts under `rules`; resolves once every rename begun before
 * this hold could be seen has landed, so that what it plans is what stays under its mounts.
 */
export async function beginHold(holder: Omit<Holder, 'mounts' | 'viewDirs'> & { root?: string }): Promise<Hold> {
  const { root, ...rest } = holder;
  const viewDirs = root && holder.views ? idsOf(root, holder.views) : undefined;
  const held: { -readonly [K in keyof Holder]: Holder[K] } = { ...rest, mounts: [], ...(viewDirs ? { viewDirs } : {}) };
  holders.add(held);
  planning.add(held);
  const done = (): void => {
    if (!planning.delete(held) || planning.size > 0) return;
    planned?.resolve();
    planned = null;
  };
  // A write that decided before this holder existed adds its rename within this turn of the event loop.
  await new Promise<void>((resolve) => setImmediate(resolve));
  await Promise.allSettled([...renames]);
  return {
    planned: (mounts, rules) => {
      held.mounts.push(...mounts);
      if (rules) held.rules = rules;
      done();
    },
    release: () => {
      done();
      holders.delete(held);
    },
  };
}

const idOf = (stats: fs.Stats): string => `${stats.dev}:${stats.ino}`;

/** The directories among `views` (workspace paths under `root`) by device and inode; the whole workspace needs none. */
function idsOf(root: string, views: readonly string[]): Map<string, string> | undefined {
  const ids = new Map<string, string>();
  for (const view of views) {
    if (view === '/') continue;
    const stats = fs.statSync(path.join(root, view), { throwIfNoEntry: false });
    if (stats?.isDirectory()) ids.set(idOf(stats), view);
  }
  return ids.size > 0 ? ids : undefined;
}

/**
 * How each running sandbox with directory views sees a name in a directory of the workspace: the
 * directory `dir` (a host path, or its descriptor's procfs path) and its ancestors are looked up by
 * device and inode, the nearest of its views among them giving the path it sees it by. A view moved
 * since the sandbox began (another sandbox's `mv`) is still what the sandbox sees, under its old name.
 */
function seenBy(dir: string, realDir: string, last: string): Map<Holder, string> | undefined {
  const viewing = [...holders].filter((h) => h.viewDirs !== undefined);
  if (viewing.length === 0) return undefined;
  const names = realDir.split('/').filter(Boolean);
  const seen = new Map<Holder, string>();
  for (let up = 0; up <= names.length && seen.size < viewing.length; up++) {
    const stats = fs.statSync(up === 0 ? dir : `${dir}${'/..'.repeat(up)}`, { throwIfNoEntry: false });
    if (!stats) break;
    const below = [...names.slice(names.length - up), last].join('/');
    for (const holder of viewing) {
      const view = holder.viewDirs?.get(idOf(stats));
      if (view !== undefined && !seen.has(holder)) seen.set(holder, `${view}/${below}`);
    }
  }
  return seen;
}

/** Until no sandbox is planning its mounts (what they sit on is known). */
async function untilPlanned(): Promise<void> {
  while (planning.size > 0) {
    if (planned === null) {
      let resolve = (): void => {};
      const promise = new Promise<void>((r) => (resolve = r));
      planned = { promise, resolve };
    }
    await planned.promise;
  }
}

const isReadRestriction = (rule: FsRule): boolean => rule.kind === 'fs.read' && rule.verdict !== 'allow';
const under = (child: string, parent: string): boolean =>
  parent === '/' || child === parent || child.startsWith(`${parent}/`);

/** A running sandbox mounts something on this very path: new content must keep its inode. */
export function inPlace(virtualPath: string): Holder | null {
  for (const holder of holders) if (holder.mounts.some((m) => m.path === virtualPath)) return holder;
  return null;
}

/**
 * A running sandbox would see what is written at this path: the path lies in what it sees, one of its
 * read rules covers it, and no mount of its hides it (on the file itself, or a hidden directory
 * above). A name there before its mounts were made has its own; one made since — by anyone, the
 * sandbox itself included — has none.
 */
export function refusesWrite(virtualPath: string, seen?: ReadonlyMap<Holder, string>): Holder | null {
  for (const holder of holders) {
    const inView = !holder.views || holder.views.some((view) => under(virtualPath, view));
    if (inView && wouldSee(holder, virtualPath)) return holder;
    const seenAs = seen?.get(holder);
    if (seenAs !== undefined && seenAs !== virtualPath && wouldSee(holder, seenAs)) return holder;
  }
  return null;
}

/** One of its read rules covers the path it sees a name by, and no mount of its hides it. */
function wouldSee(holder: Holder, seenPath: string): boolean {
  if (!holder.rules.some((r) => isReadRestriction(r) && ruleMatches(r, seenPath))) return false;
  return !holder.mounts.some((m) => m.effect === 'hide' && (m.path === seenPath || (m.dir && under(seenPath, m.path))));
}

/** A running sandbox mounts something on this path or below it: removing it would detach the mount. */
export function refusesRemoval(virtualPath: string): Holder | null {
  for (const holder of holders) if (holder.mounts.some((m) => under(m.path, virtualPath))) return holder;
  return null;
}

/**
 * Stop what can be stopped among the sandboxes that `refuses` (refusesWrite or refusesRemoval) finds
 * for this path; the one that cannot, or null when none is left.
 */
export async function clearFor(
  refuses: (virtualPath: string) => Holder | null,
  virtualPath: string,
): Promise<Holder | null> {
  for (;;) {
    const holder = refuses(virtualPath);
    if (!holder?.stop) return holder;
    await holder.stop();
    if (holders.has(holder)) return holder;
  }
}

/** Sandboxes holding paths now, and those of them still planning their mounts (tests). */
export function holderCount(): number {
  return holders.size;
}
export function planningCount(): number {
  return planning.size;
}

// ---- the fs driver's side ----

/** The workspace path a name in a directory really is: the directory's real path (symlinks on the way resolved) and the name. */
export function realVirtualPath(root: string, dirRealPath: string, last: string): string {
  const dir = dirRealPath === root ? '' : path.relative(root, dirRealPath).split(path.sep).join('/');
  return dir === '' ? `/${last}` : `/${dir}/${last}`;
}

/**
 * Before `virtualPath` (really `real`) is written: a running sandbox that would see it is stopped
 * (an MCP server) or refuses the write (EBUSY). Whether the file must be rewritten in place: a
 * running sandbox mounts something on it, by either name.
 */
export async function beforeWrite(
  virtualPath: string,
  real: string,
  exists: boolean,
  dir: string,
): Promise<'in place' | 'aside'> {
  const seen = seenBy(dir, path.posix.dirname(real), path.posix.basename(real));
  for (const p of new Set([virtualPath, real])) {
    const holder = await clearFor((q) => refusesWrite(q, seen), p);
    if (holder) throw heldError(virtualPath, holder, exists ? 'written' : 'made');
  }
  // While a sandbox plans, any file may be one it mounts on.
  const held = planning.size > 0 || inPlace(virtualPath) !== null || inPlace(real) !== null;
  return exists && held ? 'in place' : 'aside';
}

/** Before `virtualPath` (really `real`) is removed: a running sandbox mounting on it or below is stopped, or refuses it. */
export async function beforeRemove(virtualPath: string, real: string): Promise<void> {
  // Stopping a server lets others begin to plan meanwhile: checked again until none is planning.
  do {
    await untilPlanned();
    for (const p of new Set([virtualPath, real])) {
      const holder = await clearFor(refusesRemoval, p);
      if (holder) throw heldError(virtualPath, holder, 'removed');
    }
  } while (planning.size > 0);
}

/**
 * The same file, its content replaced: a sandbox's mount on it stays on it. Unlike a write aside,
 * a full disk half-way leaves it torn: the price of holding it while the sandbox runs. A file with a
 * second name is refused as a write aside refuses it (the other name may be readable elsewhere).
 */
export async function rewrite(target: string, virtualPath: string, data: Buffer, syncBytes: number): Promise<void> {
  const fd = fs.openSync(target, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw notRegularError(virtualPath);
    if (stats.nlink > 1) throw new AosError('EACCES', `hard-linked file: ${virtualPath}`);
    await oneAtATime(`${stats.dev}:${stats.ino}`, async () => {
      await writeAll(fd, data, 0, syncBytes);
      fs.ftruncateSync(fd, data.length);
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** In-place rewrites under way, by file (device and inode): two at once would interleave their writes and cuts. */
const rewriting = new Map<string, Promise<void>>();

async function oneAtATime(file: string, work: () => Promise<void>): Promise<void> {
  const before = rewriting.get(file);
  const mine = (before ?? Promise.resolve()).then(work, work);
  const kept = mine.then(
    () => undefined,
    () => undefined,
  );
  rewriting.set(file, kept);
  try {
    await mine;
  } finally {
    if (rewriting.get(file) === kept) rewriting.delete(file);
  }
}

/** A change a running sandbox's mount would not survive, or that it would see. */
export function heldError(virtualPath: string, holder: Holder, change: 'made' | 'written' | 'removed'): AosError {
  const rules = holder.rules.map((r) => r.text).join(', ');
  return new AosError(
    'EBUSY',
    `${virtualPath} cannot be ${change} while ${holder.what} runs: its sandbox holds it for the policy rule(s) ${rules}; try again once it has ended`,
  );
}
