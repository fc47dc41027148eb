/**
 * Workspace paths a running sandbox holds by a mount of its own (exec/rule-overlays.ts): a hidden
 * or read-only file, a hidden directory. Linux detaches a mount in another mount namespace when
 * the path it sits on is unlinked or replaced (a rename over it): an FS_WRITE renaming new content
 * over a file an MCP server's sandbox was not to read showed that server the new content, and a
 * file held read-only became writable in it. So, while a sandbox runs (an EXEC_CMD, an MCP
 * server), the fs driver changes what it holds without taking the name from under its mount:
 *
 *   - a file held by a mount of its own is rewritten in place, not replaced (`inPlace`);
 *   - a name a running sandbox's read rule covers, not there when its mounts were made and not
 *     inside a directory it hides, cannot be made while it runs (`refusesNew`): it would see it;
 *   - a held path, or a directory above one, is not removed while it runs (`refusesRemoval`).
 *
 * A sandbox that can be stopped and started again (an MCP server: its next use plans its mounts
 * anew) is stopped first (`clearFor`); one that cannot (an EXEC_CMD) makes the change wait: EBUSY.
 *
 * What changes the workspace from outside aos (an editor, git) is not seen here: a sandbox that
 * outlives such a change sees it (README, policy notes).
 */
import { type FsRule, ruleMatches } from './fs-rules.js';

/** A mount of a running sandbox (exec/rule-protections.ts Protection): the path it sits on. */
export interface HeldMount {
  readonly path: string;
  readonly effect: 'hide' | 'read-only';
  readonly dir: boolean;
}

export interface Holder {
  /** Who holds it, for the refusal's message: `an EXEC_CMD of process 7`, `MCP server "files"`. */
  readonly what: string;
  /** The fs rules its mounts were made from. */
  readonly rules: readonly FsRule[];
  readonly mounts: readonly HeldMount[];
  /** Stops the sandbox; its holder is let go once it has ended. Absent: it cannot be stopped for this. */
  readonly stop?: () => Promise<void>;
}

const holders = new Set<Holder>();

/** Hold `holder`'s mounts until the returned function is called (once its sandbox has ended). */
export function holdWhileRunning(holder: Holder): () => void {
  if (holder.mounts.length === 0 && !holder.rules.some(isReadRestriction)) return () => undefined;
  holders.add(holder);
  return () => void holders.delete(holder);
}

const isReadRestriction = (rule: FsRule): boolean => rule.kind === 'fs.read' && rule.verdict !== 'allow';
const under = (child: string, parent: string): boolean =>
  parent === '/' || child === parent || child.startsWith(`${parent}/`);

/** A running sandbox mounts something on this very path: new content must keep its inode. */
export function inPlace(virtualPath: string): Holder | null {
  for (const holder of holders) if (holder.mounts.some((m) => m.path === virtualPath)) return holder;
  return null;
}

/** A running sandbox would see a new file at this path that one of its read rules covers. */
export function refusesNew(virtualPath: string): Holder | null {
  for (const holder of holders) {
    if (!holder.rules.some((r) => isReadRestriction(r) && ruleMatches(r, virtualPath))) continue;
    const hiddenDir = holder.mounts.some((m) => m.dir && m.effect === 'hide' && under(virtualPath, m.path));
    if (!hiddenDir) return holder;
  }
  return null;
}

/** A running sandbox mounts something on this path or below it: removing it would detach the mount. */
export function refusesRemoval(virtualPath: string): Holder | null {
  for (const holder of holders) if (holder.mounts.some((m) => under(m.path, virtualPath))) return holder;
  return null;
}

/**
 * Stop what can be stopped among the sandboxes that `refuses` (refusesNew or refusesRemoval) finds
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

/** Sandboxes holding paths now (tests). */
export function holderCount(): number {
  return holders.size;
}
