/**
 * aos's own state never where an agent can reach it (issue 27.4). With `AOS_WORKSPACE=$HOME` and
 * the default `~/.aos`, an agent read mcp.token, rewrote policy.yaml and approved its own request
 * over kernel.sock. So the kernel refuses to start when its home or any state it keeps (socket,
 * store, policy, tokens, log, memory data) lies inside the workspace, when the workspace lies
 * inside the home anywhere but the one directory kept for it (`$AOS_HOME/workspace`, the default),
 * or when the home is under a directory every sandbox shows (/usr, /bin, /lib…). Paths are
 * compared as the file system resolves them: symlinks followed, `..` gone.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** The paths it checks (sys/paths.ts's AosPaths has them; a header imports nothing of aos). */
export interface StatePaths {
  home: string;
  workspace: string;
  socket: string;
  db: string;
  policy: string;
  mcpToken: string;
  kernelLog: string;
  pidFile: string;
  chroma: string;
}

/** A layout refused: the message names both paths and the fix. */
export class MisplacedState extends Error {}

/** Directories the sandboxes bind from the host whole (read-only): anything under them is in every sandbox. */
const SHOWN_TO_SANDBOXES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** `p` as the file system resolves it, for the part that exists; the rest appended as written. */
export function resolvedPath(p: string): string {
  let existing = path.resolve(p);
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  let real = existing;
  try {
    real = realpathSync.native(existing);
  } catch {
    // A path we cannot resolve is compared as written.
  }
  return path.join(real, ...rest);
}

function within(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}

function refuse(what: string, where: string, workspace: string, fix: string): never {
  throw new MisplacedState(
    `${what} ${where} lies inside the workspace ${workspace}, where agents can read and change it: ${fix}`,
  );
}

/** Refuse a layout that puts aos's state in an agent's reach. `extra`: further state files (secrets' from_file, …). */
export function checkStatePlacement(
  paths: StatePaths,
  extra: ReadonlyArray<{ what: string; path: string }> = [],
): void {
  const workspace = resolvedPath(paths.workspace);
  const home = resolvedPath(paths.home);
  const moveHome = 'set AOS_HOME to a directory outside it (or AOS_WORKSPACE to one that does not hold it)';
  if (within(home, workspace)) refuse('the aos home', home, workspace, moveHome);
  const state: Array<{ what: string; path: string }> = [
    { what: 'the kernel socket', path: paths.socket },
    { what: 'the kernel store', path: paths.db },
    { what: 'the policy', path: paths.policy },
    { what: 'the MCP token', path: paths.mcpToken },
    { what: 'the kernel log', path: paths.kernelLog },
    { what: 'the pid file', path: paths.pidFile },
    { what: 'the memory data', path: paths.chroma },
    ...extra,
  ];
  for (const item of state) {
    const real = resolvedPath(item.path);
    if (within(real, workspace))
      refuse(item.what, real, workspace, item.what === 'the policy' ? 'set AOS_POLICY to a file outside it' : moveHome);
  }
  const linked = policyLinks(paths.policy);
  if (linked) throw new MisplacedState(linked);
  const ownDir = path.join(home, 'workspace');
  if (within(workspace, home) && workspace !== ownDir) {
    throw new MisplacedState(
      `the workspace ${workspace} lies inside the aos home ${home}, beside the kernel's own files: use ${ownDir} (the default) or a directory outside ${home}`,
    );
  }
  const shown = SHOWN_TO_SANDBOXES.find((dir) => within(home, dir));
  if (shown)
    throw new MisplacedState(
      `the aos home ${home} lies under ${shown}, which every sandbox shows: set AOS_HOME to a directory outside the system directories`,
    );
}

/**
 * Host paths a policy binds into a sandbox (an MCP server's `read:` and `write:`): none may hold
 * the aos home or lie inside it, or that server's sandbox would show aos's own files.
 */
export function checkSandboxBinds(paths: StatePaths, binds: ReadonlyArray<{ what: string; path: string }>): void {
  const home = resolvedPath(paths.home);
  for (const bind of binds) {
    const real = resolvedPath(bind.path);
    if (within(home, real) || within(real, home)) {
      throw new MisplacedState(
        `${bind.what} ${real} would show the aos home ${home} inside a sandbox: bind a directory that neither holds nor lies inside it`,
      );
    }
  }
}

/**
 * What a program that holds a secret runs from (a channel's adapter): out of the aos home, as every
 * bind, and out of the agents' workspace too — an agent there could rewrite the program and have
 * the secret.
 */
export function checkTrustedBinds(paths: StatePaths, binds: ReadonlyArray<{ what: string; path: string }>): void {
  checkSandboxBinds(paths, binds);
  checkOutOfAgentsReach(paths.workspace, binds);
}

/**
 * The agents' half of checkTrustedBinds, for where only the workspace is known: checked again at
 * each start of what runs with a secret (a channel's adapter), since a workspace moved by a
 * restart or a link changed since may now put a path once refused in reach.
 */
export function checkOutOfAgentsReach(
  workspacePath: string,
  binds: ReadonlyArray<{ what: string; path: string }>,
): void {
  const workspace = resolvedPath(workspacePath);
  for (const bind of binds) {
    const real = resolvedPath(bind.path);
    if (within(real, workspace) || within(workspace, real)) {
      throw new MisplacedState(
        `${bind.what} ${real} is in reach of agents (the workspace ${workspace}): an agent could change what runs with the secret — put it elsewhere`,
      );
    }
  }
}

/**
 * Why an agent might change the policy file by another name: it has more than one hard link, and
 * the other may lie in the workspace (no path to it is known). Checked at start and before each
 * reload of an edit (daemon/policy-watch.ts), since an edit is applied at once. Null when it has one.
 */
export function policyLinks(file: string): string | null {
  let links: number;
  try {
    links = statSync(file).nlink;
  } catch {
    return null; // no file: the policy loader says so
  }
  return links > 1
    ? `the policy ${file} has ${links} hard links: another name for it may lie in the workspace, where agents can change it — copy it to a file of its own (cp, not ln)`
    : null;
}

/** Why the policy, as the file system resolves it now, is in an agent's reach (policyLinks, or inside the workspace), or null. */
export function policyInReach(file: string, workspace: string): string | null {
  const real = resolvedPath(file);
  const ws = resolvedPath(workspace);
  if (within(real, ws))
    return `the policy ${real} lies inside the workspace ${ws}, where agents can change it: set AOS_POLICY to a file outside it`;
  return policyLinks(real);
}
