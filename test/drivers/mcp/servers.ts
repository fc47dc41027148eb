/** The real MCP servers from npm (devDependencies) as the policy would declare them, sandboxed. */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { McpLimits, StdioServerConfig } from '../../../drivers/mcp/types.js';

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return realpathSync(path.dirname(require.resolve(`${name}/package.json`)));
}

/** The node_modules the servers and their dependencies live in: the only host files they read. */
export const NODE_MODULES = path.dirname(path.dirname(packageDir('@modelcontextprotocol/server-everything')));
export const EVERYTHING_JS = path.join(packageDir('@modelcontextprotocol/server-everything'), 'dist/index.js');
export const FILESYSTEM_JS = path.join(packageDir('@modelcontextprotocol/server-filesystem'), 'dist/index.js');

export function everything(extra: Partial<StdioServerConfig> = {}): StdioServerConfig {
  return {
    kind: 'stdio',
    command: process.execPath,
    args: [EVERYTHING_JS, 'stdio'],
    env: {},
    read: [NODE_MODULES],
    write: [],
    workspace: false,
    network: false,
    ...extra,
  };
}

/** server-filesystem serving the agents' workspace, bound at /workspace. */
export function filesystem(extra: Partial<StdioServerConfig> = {}): StdioServerConfig {
  return {
    kind: 'stdio',
    command: process.execPath,
    args: [FILESYSTEM_JS, '/workspace'],
    env: {},
    read: [NODE_MODULES],
    write: [],
    workspace: true,
    network: false,
    ...extra,
  };
}

export const TEST_LIMITS: McpLimits = {
  startTimeoutMs: 30_000,
  idleStopMs: 60_000,
  restartDelayMs: 10,
  restartMaxDelayMs: 100,
  maxMessageBytes: 4 * 1024 * 1024,
  stderrTailBytes: 4096,
  cpuSeconds: 600,
  maxMemoryBytes: 2 * 1024 * 1024 * 1024,
  maxProcesses: 64,
  maxOpenFiles: 256,
  maxFileBytes: 64 * 1024 * 1024,
};

const REPO_NODE_MODULES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../node_modules');
export const ODD_JS = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../../fixtures/mcp/odd-server.mjs',
);

/** test/fixtures/mcp/odd-server.mjs: tools that shadow syscalls, list_changed, a hang, an isError. */
export function odd(extra: Partial<StdioServerConfig> = {}): StdioServerConfig {
  // The fixture imports the SDK through the checkout's node_modules (a link to the real one): both are bound.
  const read = [...new Set([NODE_MODULES, REPO_NODE_MODULES, path.dirname(ODD_JS)])];
  return {
    kind: 'stdio',
    command: process.execPath,
    args: [ODD_JS],
    env: {},
    read,
    write: [],
    workspace: false,
    network: false,
    ...extra,
  };
}
