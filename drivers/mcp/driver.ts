/**
 * The MCP driver: the servers the policy declares (their secrets filled in by the kernel), each
 * started on first use — a stdio server in its own sandbox — and stopped when idle. A process sees
 * only the tools its `mcp:<server>/<tool>` capabilities cover; a tool whose name would read as an
 * aos syscall is hidden and refused. Without servers it is absent, and its calls say so.
 */
import type { ProcessMcp } from '../../sys/driver-api.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { KERNEL_VERSION } from '../../sys/version.js';
import { defineDriver, workspaceOf } from '../driver.js';
import { McpAccess } from './access.js';
import { mcpReference } from './reference.js';
import { McpServers } from './registry.js';
import type { McpLimits } from './types.js';

export const MCP_LIMITS: McpLimits = {
  startTimeoutMs: param.mcpStartTimeoutMs,
  idleStopMs: param.mcpIdleStopMs,
  restartDelayMs: param.mcpRestartDelayMs,
  restartMaxDelayMs: param.mcpRestartMaxDelayMs,
  maxMessageBytes: param.mcpMaxMessageBytes,
  stderrTailBytes: param.mcpStderrTailBytes,
  cpuSeconds: param.mcpCpuSeconds,
  maxMemoryBytes: param.mcpMaxMemoryBytes,
  maxProcesses: param.mcpMaxProcesses,
  maxOpenFiles: param.mcpMaxOpenFiles,
  maxFileBytes: param.mcpMaxFileBytes,
};

function declared(access: McpAccess | null): McpAccess {
  if (!access) throw new AosError('ENOENT', 'no MCP servers: the policy declares none (its `mcp.servers` section)');
  return access;
}

export const mcpDriver = defineDriver({
  name: 'mcp',
  summary:
    'MCP servers the policy declares, started on first use (stdio ones sandboxed); a process sees the tools its mcp: capabilities cover',
  open: (config, before): McpAccess | null => {
    const mcp = config.mcp;
    if (!mcp || Object.keys(mcp.servers).length === 0) return null;
    const log = config.log ?? (() => undefined);
    const workspace = workspaceOf(before, 'mcp');
    // The policy's fs rules hold over what a server sees of the workspace, as they stand at each start.
    const rules = {
      fsRules: () => config.fsRules?.() ?? [],
      makeDir: (virtualPath: string) => workspace.makeDir(virtualPath),
    };
    const servers = new McpServers(mcp.servers, {
      workspace: workspace.root,
      limits: MCP_LIMITS,
      clientInfo: { name: 'aos', version: KERNEL_VERSION },
      log,
      rules,
    });
    return new McpAccess(servers, mcp.shadows, log);
  },
  scope: (access, proc): ProcessMcp => {
    const caps = { list: proc.caps, allows: (required: string) => proc.allows(required) };
    return {
      list: async (server) => declared(access).list(caps, server, proc.signal),
      call: async (request) => declared(access).call(caps, request, proc.signal),
      reference: () => (access ? mcpReference(access, caps, proc.signal) : ''),
    };
  },
  close: async (access) => {
    await access?.close();
  },
});
