/**
 * The policy's fs rules for one sandbox: the protections found on the host now (rule-protections.ts)
 * and the bwrap mounts that hold them (rule-overlays.ts). EXEC_CMD plans them at every run and an MCP
 * server at its start, from the rules as they stand then, so a policy reload holds from the next one.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { param } from '../../sys/param.js';
import type { BindSources } from './bind-sources.js';
import { type FsRule, restricting, ruleMatches } from '../fs-rules.js';
import type { HeldMount } from '../fs-held.js';
import { hiddenFile } from './hidden-file.js';
import { overlayArgs, planOverlays } from './rule-overlays.js';
import { planProtections, type Protection, type WorkspaceView } from './rule-protections.js';

export interface RuleMounts {
  /** bwrap options, after every other mount, binding workspace paths through `sources` (opened as it is called, just before bwrap starts). */
  args(sources: BindSources): string[];
  protections: Protection[];
  /** The rules they hold, and every workspace path a mount sits on (what a running sandbox holds: ../fs-held.ts). */
  rules: readonly FsRule[];
  held: HeldMount[];
  /** What is mounted where, to tell two plans apart ('' for none). */
  key: string;
}

const NONE: RuleMounts = { args: () => [], protections: [], rules: [], held: [], key: '' };

export async function ruleMounts(
  workspace: string,
  views: readonly WorkspaceView[],
  rules: readonly FsRule[] | undefined,
  makeDir?: (virtualPath: string) => Promise<void>,
): Promise<RuleMounts> {
  if (
    !rules?.some((r) => (r.kind === 'fs.read' || r.kind === 'fs.write') && r.verdict !== 'allow') ||
    views.length === 0
  )
    return NONE;
  const protections = await planProtections(workspace, rules, {
    views,
    walkLimit: param.execRuleWalkEntries,
    keptLimit: param.execRuleKeptNames,
    hiddenLimit: param.execRuleHiddenMatches,
    ...(makeDir ? { makeDir } : {}),
  });
  if (protections.length === 0) return NONE;
  const overlays = planOverlays(views, protections);
  const empty = overlays.some((o) => o.op === 'hide-file') ? await hiddenFile() : null;
  return {
    args: (sources) => overlayArgs(workspace, overlays, empty, sources),
    protections,
    rules,
    held: overlays.map((o) => ({
      path: o.path,
      effect: o.op === 'hide-dir' || o.op === 'hide-file' ? 'hide' : 'read-only',
      dir: o.op === 'hide-dir',
    })),
    key: JSON.stringify([overlays, empty]),
  };
}

/** A view of a granted mount (or the whole workspace) at /workspace. */
export function workspaceView(workspace: string, mount: { path: string; writable: boolean }): WorkspaceView {
  const host = mount.path === '/' ? workspace : path.join(workspace, mount.path);
  let dir = true;
  try {
    dir = statSync(host).isDirectory();
  } catch {
    // Not there: nothing is bound, nothing to hold.
  }
  return {
    path: mount.path,
    at: mount.path === '/' ? '/workspace' : `/workspace${mount.path}`,
    writable: mount.writable,
    dir,
    mounted: true,
  };
}

/** The hidden path a working directory lies in, as an error to say before bwrap's chdir fails. */
export function hiddenCwd(protections: readonly Protection[], cwd: string): Protection | undefined {
  return protections.find(
    (p) => p.effect === 'hide' && (p.path === '/' || cwd === p.path || cwd.startsWith(`${p.path}/`)),
  );
}

/**
 * makeDir for a grant's directory and the working directory: one an fs.write rule protects is not
 * made (FS_WRITE, which the rule decides, can make it), so a run leaves no new name there.
 */
export function makeDirOutsideRules(
  makeDir: ((virtualPath: string) => Promise<void>) | undefined,
  rules: readonly FsRule[] | undefined,
): typeof makeDir {
  const held = restricting(rules ?? [], 'fs.write');
  if (!makeDir || held.length === 0) return makeDir;
  return async (virtualPath) => {
    if (!held.some((r) => ruleMatches(r, virtualPath))) await makeDir(virtualPath);
  };
}
