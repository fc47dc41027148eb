/**
 * The policy's fs rules over a stdio MCP server's sandbox, as EXEC_CMD holds them (exec/rule-mounts.ts):
 * on the workspace it sees at /workspace (`workspace: true`, read-write) and on each host path it
 * declares that holds the workspace or lies in it (bound at its own path). Planned at each start;
 * the server driver plans again before each use and restarts the server when the plan changed (a
 * policy reload, a new file a glob read rule hides).
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FsRule } from '../fs-rules.js';
import { ruleMounts, type RuleMounts } from '../exec/rule-mounts.js';
import type { WorkspaceView } from '../exec/rule-protections.js';
import type { StdioServerConfig } from './types.js';

export interface ServerRules {
  /** The policy's rules as they stand now. */
  fsRules(): readonly FsRule[];
  /** Makes a workspace directory without following a symlink (a write rule's directory not there yet). */
  makeDir?(virtualPath: string): Promise<void>;
}

function inside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(`${parent}/`);
}

/** Where the server's sandbox shows the workspace, or a part of it. */
async function serverViews(config: StdioServerConfig, workspace: string): Promise<WorkspaceView[]> {
  const views: WorkspaceView[] = config.workspace
    ? [{ path: '/', at: '/workspace', writable: true, dir: true, mounted: true }]
    : [];
  const declared = [
    ...config.read.map((p) => ({ p, writable: false })),
    ...config.write.map((p) => ({ p, writable: true })),
  ];
  for (const { p, writable } of declared) {
    const real = await realpath(p).catch(() => null);
    if (real === null) continue; // The launch refuses a path that is not there.
    const dir = (await stat(real)).isDirectory();
    // Bound at its own path, and (sandbox-launch.ts) at its real path when a symlink leads there.
    for (const at of new Set([p, real])) {
      if (inside(workspace, real))
        views.push({
          path: '/',
          at: path.join(at, path.relative(real, workspace)),
          writable,
          dir: true,
          mounted: workspace === real,
        });
      else if (inside(real, workspace))
        views.push({
          path: real === workspace ? '/' : `/${path.relative(workspace, real)}`,
          at,
          writable,
          dir,
          mounted: true,
        });
    }
  }
  return views;
}

/** The workspace paths a server's sandbox shows (fs-held.ts holds them while it runs, by inode too). */
export async function serverViewPaths(config: StdioServerConfig, workspace: string): Promise<string[]> {
  return [...new Set((await serverViews(config, workspace)).map((view) => view.path))];
}

/** The overlays for a server's next start (no views, no rules: none). */
export async function serverRuleMounts(
  config: StdioServerConfig,
  workspace: string,
  rules: ServerRules | undefined,
): Promise<RuleMounts> {
  const current = rules?.fsRules() ?? [];
  if (!current.some((r) => r.kind === 'fs.read' || r.kind === 'fs.write'))
    return { args: () => [], protections: [], rules: [], held: [], key: '' };
  return ruleMounts(
    workspace,
    await serverViews(config, workspace),
    current,
    rules?.makeDir ? (p) => rules.makeDir?.(p) ?? Promise.resolve() : undefined,
  );
}
