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
  return { kind: 'stdio', command: process.execPath, args: [EVERYTHING_JS, 'stdio'], env: {}, read: [NODE_MODULES], write: [], workspace: false, network: false, ...extra };
}

/** server-filesystem serving the agents' workspace, bound at /workspace. */
export function filesystem(extra: Partial<StdioServerConfig> = {}): StdioServerConfig {
  return { kind: 'stdio', command: process.execPath, args: [FILESYSTEM_JS, '/workspace'], env: {}, read: [NODE_MODULES], write: [], workspace: true, network: false, ...extra };
}

export const TEST_LIMITS: McpLimits = {
  startTimeoutMs: 30_000,
  callTimeoutMs: 30_000,
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
