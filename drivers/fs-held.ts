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
 * A bind mount holds an inode, not a name, and another sandbox may move names meanwhile (`mv`): a
 * sandbox's views and mounts are held by device and inode too (fs-held-target.ts), a mount hides
 * only what it was planned on (kept open while held, so that its inode number is not given to
 * another file, and not hiding once removed), and a name is checked by every name it has — as
 * named, by its real directory, and as each sandbox sees it. An MCP server holds every rule in force
 * over the paths it declares, not only those that gave it a mount.
 *
 * What changes the workspace from outside aos (an editor, git) is not seen here: a sandbox that
 * outlives such a change sees it (docs/policy.md, "While a sandbox runs"). Nor is a file written
 * where no rule covers it and moved under one afterwards by a command that may write both places.
 */
import type fs from 'node:fs';
import path from 'node:path';
import { AosError } from '../sys/errno.js';
import { renames } from './fs/file-io.js';
import { pin, type Pinned, type Target, targetOf, unlinked, unpin } from './fs-held-target.js';
import { type FsRule, ruleMatches } from './fs-rules.js';

/** A mount of a running sandbox (exec/rule-protections.ts Protection): the path it sits on. */
export interface HeldMount {
  readonly path: string;
  readonly effect: 'hide' | 'read-only';
  readonly dir: boolean;
  /** What it sits on (device and inode) when it was planned: where it is, whatever its name since. */
  readonly id?: string | undefined;
  /** That file or directory, kept open while held (fs-held-target.ts pin). */
  readonly fd?: number | null;
}

export interface Holder {
  /** Who holds it, for the refusal's message: `an EXEC_CMD`, `MCP server "files"`. */
  readonly what: string;
  /** The workspace's host directory. */
  readonly root: string;
  /** The fs rules its mounts are made from. */
  readonly rules: readonly FsRule[];
  /** The workspace paths it sees (an EXEC_CMD's grants): nothing outside them is held for it. Absent: the whole workspace. */
  readonly views?: readonly string[];
  /** Its views by device and inode when it began (their paths then): what it sees under one moved since. */
  readonly viewIds?: ReadonlyMap<string, string>;
  /** Filled in once they are planned: until then only its rules hold (what they cover is not written). */
  readonly mounts: HeldMount[];
  /** Stops the sandbox; its holder is let go once it has ended. Absent: it cannot be stopped for this. */
  readonly stop?: () => Promise<void>;
  /** What it keeps open while it holds (its views and mounts), closed when it is let go. */
  readonly pins: Pinned[];
}

const holders = new Set<Holder>();
/** Sandboxes holding paths now: while there are none the fs driver runs none of this file's code. */
export const running: ReadonlySet<Holder> = holders;

/** Holders still planning their mounts, and who waits for them (a removal). */
const planning = new Set<Holder>();
let planned: { promise: Promise<void>; resolve: () => void } | null = null;

export interface Hold {
  /** Its mounts are planned (before its sandbox starts): held from now on; `rules`, when they changed meanwhile. */
  planned(mounts: readonly HeldMount[], rules?: readonly FsRule[]): void;
  /** Its sandbox has ended, or never started. */
  release(): void;
  /** What it holds by identity now (its views, its planned mounts): workspace path to device and inode. */
  ids(): ReadonlyMap<string, string>;
}

/**
 * Hold for a sandbox about to plan its mounts under `rules`; resolves once every rename begun before
 * this hold could be seen has landed, so that what it plans is what stays under its mounts.
 */
export async function beginHold(holder: Omit<Holder, 'mounts' | 'viewIds' | 'pins'>): Promise<Hold> {
  const views = pin(holder.root, holder.views?.filter((view) => view !== '/') ?? []);
  const held: { -readonly [K in keyof Holder]: Holder[K] } = {
    ...holder,
    mounts: [],
    pins: views,
    ...(views.length > 0 ? { viewIds: new Map(views.map((v) => [v.id, v.path])) } : {}),
  };
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
      const pins = pin(held.root, new Set(mounts.map((m) => m.path)));
      held.pins.push(...pins);
      const byPath = new Map(pins.map((p) => [p.path, p]));
      held.mounts.push(
        ...mounts.map((m) => ({ ...m, id: byPath.get(m.path)?.id, fd: byPath.get(m.path)?.fd ?? null })),
      );
      if (rules) held.rules = rules;
      done();
    },
    release: () => {
      done();
      if (holders.delete(held)) unpin(held.pins);
    },
    ids: () => new Map(held.pins.map((p) => [p.path, p.id])),
  };
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

/**
 * The paths a running sandbox sees the target by: its real name (symlinks resolve in the sandbox as
 * here) where it lies in its views, and for a view it holds by inode (a granted directory or file,
 * moved or not since) found on the target's chain, the view's path and the rest. None: it cannot see it.
 */
function seenAs(holder: Holder, t: Target): string[] {
  const seen = new Set<string>();
  if (!holder.views || holder.views.some((v) => under(t.real, v))) seen.add(t.real);
  const ids = holder.viewIds;
  if (ids) {
    const own = t.self === undefined ? undefined : ids.get(t.self);
    if (own !== undefined) seen.add(own);
    for (const { id, below } of t.chain) {
      const view = ids.get(id);
      if (view !== undefined) seen.add(`${view}/${below}`);
    }
  }
  return [...seen];
}

/** A mount of its hides the target seen as `seenPath`: a hidden file on it, a hidden directory above it — the one planned, not another at its name since. */
function hides(m: HeldMount, seenPath: string, t: Target): boolean {
  if (m.effect !== 'hide' || !(m.path === seenPath || (m.dir && under(seenPath, m.path)))) return false;
  if (m.id === undefined) return true;
  if (t.self !== m.id && !(m.dir && t.chain.some((c) => c.id === m.id))) return false;
  // Removed since (another command's rm): its mount went with it, whatever now has its name.
  return !unlinked(m.fd ?? null);
}

/** A running sandbox mounts something on the target, by its identity or its name: new content must keep its inode. */
export function inPlace(t: Target): Holder | null {
  for (const holder of holders) {
    if (
      holder.mounts.some(
        (m) => (m.id !== undefined && m.id === t.self) || m.path === t.virtualPath || m.path === t.real,
      )
    )
      return holder;
  }
  return null;
}

/**
 * A running sandbox would see what is written at the target: it sees it (by a name in its views or
 * through a view it holds by inode), one of its read rules covers a name it has — any of them —,
 * and no mount of its hides it by every path it sees it by. A name there before its mounts were
 * made has its own; one made since — by anyone, the sandbox itself included — has none.
 */
export function refusesWrite(t: Target): Holder | null {
  for (const holder of holders) {
    const seen = seenAs(holder, t);
    if (seen.length === 0) continue;
    const names = new Set([t.virtualPath, t.real, ...seen]);
    const covered = [...names].some((p) => holder.rules.some((r) => isReadRestriction(r) && ruleMatches(r, p)));
    if (covered && !seen.every((p) => holder.mounts.some((m) => hides(m, p, t)))) return holder;
  }
  return null;
}

/** A running sandbox mounts something on the target, or on a path at or below its names: removing it would detach the mount. */
export function refusesRemoval(t: Target): Holder | null {
  for (const holder of holders) {
    const on = (m: HeldMount): boolean =>
      (m.id !== undefined && m.id === t.self) || under(m.path, t.virtualPath) || under(m.path, t.real);
    if (holder.mounts.some(on)) return holder;
  }
  return null;
}

/**
 * Stop what can be stopped among the sandboxes that `refuses` (refusesWrite or refusesRemoval) finds
 * for the target; the one that cannot, or null when none is left.
 */
async function clearFor(refuses: (t: Target) => Holder | null, t: Target): Promise<Holder | null> {
  for (;;) {
    const holder = refuses(t);
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
 * Before `virtualPath` (really `real`, in directory `dir`: its procfs path or host path) is written:
 * a running sandbox that would see it is stopped (an MCP server) or refuses the write (EBUSY).
 * Whether the file must be rewritten in place: a running sandbox mounts something on it.
 * `self`: the file's stats when the caller has it open (an append).
 */
export async function beforeWrite(
  virtualPath: string,
  real: string,
  exists: boolean,
  dir: string,
  self?: fs.Stats,
): Promise<'in place' | 'aside'> {
  const t = targetOf(virtualPath, real, dir, self);
  const holder = await clearFor(refusesWrite, t);
  if (holder) throw heldError(virtualPath, holder, exists ? 'written' : 'made');
  // While a sandbox plans, any file may be one it mounts on.
  const held = planning.size > 0 || inPlace(t) !== null;
  return exists && held ? 'in place' : 'aside';
}

/** Before `virtualPath` (really `real`, in directory `dir`) is removed: a running sandbox mounting on it or below is stopped, or refuses it. */
export async function beforeRemove(virtualPath: string, real: string, dir: string): Promise<void> {
  // Stopping a server lets others begin to plan meanwhile: checked again until none is planning.
  do {
    await untilPlanned();
    const holder = await clearFor(refusesRemoval, targetOf(virtualPath, real, dir));
    if (holder) throw heldError(virtualPath, holder, 'removed');
  } while (planning.size > 0);
}

/** A change a running sandbox's mount would not survive, or that it would see. */
export function heldError(virtualPath: string, holder: Holder, change: 'made' | 'written' | 'removed'): AosError {
  const rules = holder.rules.map((r) => r.text).join(', ');
  return new AosError(
    'EBUSY',
    `${virtualPath} cannot be ${change} while ${holder.what} runs: its sandbox holds it for the policy rule(s) ${rules}; try again once it has ended`,
  );
}
