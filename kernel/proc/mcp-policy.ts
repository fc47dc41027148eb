/**
 * The policy's `mcp:` section: the MCP servers agents may use. A stdio server is started by the
 * kernel inside the exec sandbox with only the host paths listed here; a `url` one is reached
 * over Streamable HTTP. Which process may call which tool is a capability (`mcp:<server>/<tool>`).
 */
import path from 'node:path';
import { z } from 'zod';
import type { McpServerConfig } from '../../drivers/mcp/types.js';

const absolute = z.string().refine((p) => path.isAbsolute(p) && !p.split('/').includes('..'), 'expected an absolute path without ".."');
// A server name is what `mcp:<server>/<tool>` and MCP_CALL's "server" say: no glob or path characters.
const serverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a name of letters, digits, "_", "." and "-"');

const stdioServer = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    read: z.array(absolute).default([]),
    write: z.array(absolute).default([]),
    workspace: z.boolean().default(false),
    network: z.boolean().default(false),
  })
  .strict();

const httpServer = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const mcpPolicySchema = z
  .object({ servers: z.record(serverName, z.union([stdioServer, httpServer])).default({}) })
  .strict();

export type McpPolicy = z.infer<typeof mcpPolicySchema>;

/** The drivers' configuration of each declared server. */
export function mcpServerConfigs(section: McpPolicy | undefined): Record<string, McpServerConfig> {
  const configs: Record<string, McpServerConfig> = {};
  for (const [name, server] of Object.entries(section?.servers ?? {})) {
    configs[name] = 'url' in server ? { kind: 'http', ...server } : { kind: 'stdio', ...server };
  }
  return configs;
}
