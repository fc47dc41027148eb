/**
 * The policy's `mcp:` section: the MCP servers agents may use. A stdio server is started by the
 * kernel inside the exec sandbox with only the host paths listed here; a `url` one is reached
 * over Streamable HTTP. Which process may call which tool is a capability (`mcp:<server>/<tool>`).
 */
import path from 'node:path';
import { z } from 'zod';
import type { McpServerConfig } from '../../drivers/mcp/types.js';

/** `./x` and `../x` are relative to the policy file (so a policy can sit beside what it serves). */
const isRelative = (p: string): boolean => p.startsWith('./') || p.startsWith('../');
const hostPath = z
  .string()
  .refine(
    (p) => path.isAbsolute(p) || isRelative(p),
    'expected an absolute path, or one starting with ./ or ../ (relative to the policy file)',
  );
// A server name is what `mcp:<server>/<tool>` and MCP_CALL's "server" say: no glob or path characters.
const serverName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a name of letters, digits, "_", "." and "-"');

const stdioServer = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    read: z.array(hostPath).default([]),
    write: z.array(hostPath).default([]),
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

/**
 * The drivers' configuration of each declared server: `read`/`write` paths, the command and its
 * arguments that start with ./ or ../ resolved against `baseDir` (the policy file's directory).
 */
export function mcpServerConfigs(section: McpPolicy | undefined, baseDir: string): Record<string, McpServerConfig> {
  const resolve = (p: string): string => (isRelative(p) ? path.resolve(baseDir, p) : path.normalize(p));
  const resolveArg = (a: string): string => (isRelative(a) ? path.resolve(baseDir, a) : a);
  const configs: Record<string, McpServerConfig> = {};
  for (const [name, server] of Object.entries(section?.servers ?? {})) {
    configs[name] =
      'url' in server
        ? { kind: 'http', ...server }
        : {
            kind: 'stdio',
            ...server,
            command: resolveArg(server.command),
            args: server.args.map(resolveArg),
            read: server.read.map(resolve),
            write: server.write.map(resolve),
          };
  }
  return configs;
}
