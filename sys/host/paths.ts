/** Every on-disk path aos uses comes from here (pm2's one-function rule). */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AosPaths {
  home: string;
  socket: string;
  db: string;
  pidFile: string;
  kernelLog: string;
  policy: string;
  workspace: string;
  chroma: string;
  /** Bearer token of the gateway's MCP endpoint (mode 0600). */
  mcpToken: string;
  /** Installed units, one directory each (aos unit install). */
  units: string;
  /** Installed skills, one directory each (aos skill add). */
  skills: string;
  /** V8's code cache of the daemon's kernel bundle (daemon/kernel-code.ts). */
  kernelCode: string;
}

/** The directory holding aos's package.json, from source (tsx) or from dist/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return dir;
}

function checkoutWorkspace(): string | null {
  const root = packageRoot();
  const workspace = path.join(root, 'workspace');
  return existsSync(path.join(root, '.git')) && existsSync(workspace) ? workspace : null;
}

export function aosPaths(env: NodeJS.ProcessEnv = process.env): AosPaths {
  const home = path.resolve(env.AOS_HOME || path.join(os.homedir(), '.aos'));
  // ~/.aos named by AOS_HOME is the default home still; judged by $HOME, as the CLI's start loads no node:os.
  const isDefault = !env.AOS_HOME || (env.HOME !== undefined && home === path.join(env.HOME, '.aos'));
  return {
    home,
    socket: path.join(home, 'kernel.sock'),
    db: path.join(home, 'aos.db'),
    pidFile: path.join(home, 'kernel.pid'),
    kernelLog: path.join(home, 'kernel.log'),
    policy: path.resolve(env.AOS_POLICY || path.join(home, 'policy.yaml')),
    // The checkout's workspace/ is the default home's: another home gets its own, or its kernel
    // would be refused the workspace the default home's kernel holds (issue 51.4).
    workspace: path.resolve(
      env.AOS_WORKSPACE ||
        env.WORKSPACE_PATH ||
        (isDefault ? checkoutWorkspace() : null) ||
        path.join(home, 'workspace'),
    ),
    chroma: path.join(home, 'chroma'),
    mcpToken: path.join(home, 'mcp.token'),
    units: path.join(home, 'units'),
    skills: path.join(home, 'skills'),
    kernelCode: path.join(home, 'kernel.code-cache'),
  };
}
