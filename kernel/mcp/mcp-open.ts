/** The kernel's MCP servers from the policy's configuration, with param.ts's limits. */
import { McpServers } from '../../drivers/mcp/registry.js';
import type { McpLimits, McpServerConfig } from '../../drivers/mcp/types.js';
import { param } from '../../sys/param.js';
import { KERNEL_VERSION } from '../../sys/version.js';
import { McpAccess } from './mcp-access.js';
import type { LogLevel } from '../proc/api.js';
import type { SecretBox } from '../safety/secrets.js';

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

/** Null without servers: MCP_CALL and MCP_LIST then say the policy declares none. */
/** The servers' configurations with their secrets filled in (SecretBox.forMcpServer); the values never reach a process. */
export function withMcpSecrets(configs: Record<string, McpServerConfig> | undefined, secrets: SecretBox): Record<string, McpServerConfig> | undefined {
  if (!configs) return configs;
  return Object.fromEntries(
    Object.entries(configs).map(([name, config]) => [
      name,
      config.kind === 'stdio' ? { ...config, env: secrets.forMcpServer(name, config.env) } : { ...config, headers: secrets.forMcpServer(name, config.headers) },
    ]),
  );
}

export function openMcp(configs: Record<string, McpServerConfig> | undefined, workspace: string, log: (level: LogLevel, message: string) => void): McpAccess | null {
  if (!configs || Object.keys(configs).length === 0) return null;
  const servers = new McpServers(configs, { workspace, limits: MCP_LIMITS, clientInfo: { name: 'aos', version: KERNEL_VERSION }, log });
  return new McpAccess(servers, log);
}
