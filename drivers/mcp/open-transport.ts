/** The transport to one server: a sandboxed child for stdio, Streamable HTTP for a URL. */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { SandboxTransport } from './sandbox-transport.js';
import type { Overlays } from './sandbox-launch.js';
import type { McpLimits, McpServerConfig } from './types.js';

export interface OpenedTransport {
  transport: Transport;
  /** What the server last said on stderr (stdio only). */
  stderrTail(): string;
  /** The sandbox's process group, while a stdio server runs. */
  pid(): number | undefined;
}

/** `overlays`: a stdio server's mounts for the policy's fs rules (sandbox-rules.ts). */
export function openTransport(
  config: McpServerConfig,
  workspace: string,
  limits: McpLimits,
  overlays: Overlays = () => [],
): OpenedTransport {
  if (config.kind === 'http') {
    const transport = new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers: { ...config.headers } },
    });
    return { transport, stderrTail: () => '', pid: () => undefined };
  }
  const transport = new SandboxTransport(config, workspace, limits, overlays);
  return { transport, stderrTail: () => transport.stderrTail, pid: () => transport.pid };
}
