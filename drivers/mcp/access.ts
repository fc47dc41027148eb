/**
 * MCP tools as one process may use them: only servers and tools its `mcp:<server>/<tool>`
 * capabilities cover, never a tool whose name would shadow an aos syscall, arguments checked
 * against the tool's schema before the server sees them, results in the ABI's shape.
 */
import type { McpServers } from './registry.js';
import { toToolValue, type ToolValue } from './tool-result.js';
import type { McpTool } from './types.js';
import type { McpToolInfo } from '../../sys/driver-api.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { type CapabilityView, CapabilitySet } from '../../sys/capabilities.js';
import { markOutside } from '../net/outside-words.js';

/** The aos syscall a tool's name would read as (`exec` is EXEC_CMD's alias, `spawn-agent` SPAWN_AGENT), or null: the kernel's table says. */
export type Shadows = (toolName: string) => string | null;

/** `mcp:<server-glob>` of each `mcp:` capability: which servers a process may use at all. */
function serverCaps(caps: CapabilityView): CapabilitySet {
  const servers = caps.list
    .filter((c) => c === 'mcp' || c.startsWith('mcp:'))
    .map((c) => (c === 'mcp' ? c : `mcp:${c.slice(4).split('/')[0]}`));
  return new CapabilitySet(servers);
}

export class McpAccess {
  private readonly warned = new Set<string>();

  constructor(
    readonly servers: McpServers,
    private readonly shadowedSyscall: Shadows,
    private readonly log: (level: 'warn', message: string) => void = () => undefined,
  ) {}

  /** Declared servers some capability of the process reaches. */
  serversFor(caps: CapabilityView): string[] {
    const reach = serverCaps(caps);
    return this.servers.names.filter((name) => reach.allows(`mcp:${name}`));
  }

  /** The tools of `server` this process may call. */
  async tools(caps: CapabilityView, server: string, signal?: AbortSignal): Promise<McpTool[]> {
    const tools = await this.servers.get(server).tools(signal);
    return tools.filter((tool) => this.usable(server, tool.name) && caps.allows(`mcp:${server}/${tool.name}`));
  }

  async list(caps: CapabilityView, server: string | undefined, signal?: AbortSignal): Promise<McpToolInfo[]> {
    if (server !== undefined) this.servers.get(server);
    const names =
      server === undefined ? this.serversFor(caps) : this.serversFor(caps).filter((name) => name === server);
    const lists = await Promise.all(
      names.map(async (name) => {
        try {
          return (await this.tools(caps, name, signal)).map((tool) => toInfo(name, tool));
        } catch (error) {
          // A server that fails to start or list may say why in its own words (its stderr): marked, as a call's are.
          throw markOutside(error, name);
        }
      }),
    );
    return lists.flat();
  }

  async call(
    caps: CapabilityView,
    request: { server: string; tool: string; arguments: Record<string, unknown>; timeoutS?: number },
    signal?: AbortSignal,
  ): Promise<ToolValue> {
    const { server, tool: name } = request;
    // Where the call happens, again: the dispatcher checked the same capability, but a caller that
    // reaches this driver another way must not get past it (nothing about the server is said first).
    const needed = `mcp:${server}/${name}`;
    if (!caps.allows(needed))
      throw new AosError('EPERM', `MCP_CALL needs capability "${needed}", which this process does not hold`);
    const driver = this.servers.get(server);
    if (!this.usable(server, name))
      throw new AosError(
        'EACCES',
        `${server}/${name} is refused: its name shadows the aos syscall ${this.shadowedSyscall(name)}`,
      );
    try {
      const tool = (await driver.tools(signal)).find((t) => t.name === name);
      if (!tool) {
        const mine = (await this.tools(caps, server, signal)).map((t) => t.name);
        throw new AosError(
          'ENOENT',
          `MCP server "${server}" has no tool "${name}"${mine.length ? ` (yours: ${mine.slice(0, 20).join(', ')})` : ''}`,
        );
      }
      // The validator (ajv, through the SDK) is loaded with the first call, not with the kernel.
      const { checkToolArguments } = await import('./arg-check.js');
      checkToolArguments(tool, server, request.arguments);
      const timeoutMs = Math.round((request.timeoutS ?? param.mcpDefaultCallTimeoutS) * 1000);
      const result = await driver.call(name, request.arguments, { timeoutMs, ...(signal ? { signal } : {}) });
      return toToolValue(result, server, name, param.mcpMaxResultBytes);
    } catch (error) {
      // From here on a failure may quote the server: an isError text, its JSON-RPC error, its last
      // words on stderr, its tool names, what its input schema demands. Marked: the kernel frames it.
      throw markOutside(error, `${server}/${name}`);
    }
  }

  /** Stop every server (kernel close/shutdown). */
  close(): Promise<void> {
    return this.servers.close();
  }

  private usable(server: string, tool: string): boolean {
    const shadowed = this.shadowedSyscall(tool);
    if (shadowed === null) return true;
    const key = `${server}/${tool}`;
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.log(
        'warn',
        `MCP server "${server}" offers a tool "${tool}" that shadows the syscall ${shadowed}: it is hidden and refused`,
      );
    }
    return false;
  }
}

function toInfo(server: string, tool: McpTool): McpToolInfo {
  return {
    server,
    name: tool.name,
    description: tool.description ?? '',
    input_schema: tool.inputSchema,
    ...(tool.readOnly ? { read_only: true as const } : {}),
  };
}
