/**
 * aos as an MCP server: tools that start, list, follow, message, wait for, stop, inspect, restart,
 * kill and remove processes, and process resources with subscriptions. It talks to the daemon over
 * the protocol, like the CLI, so `aos mcp` (stdio) and the gateway's /mcp (Streamable HTTP) are
 * clients among others.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { KERNEL_VERSION } from '../../sys/version.js';
import type { KernelClient } from '../client.js';
import { registerApprovalTools } from './approval-tools.js';
import { registerLifecycleTools } from './lifecycle-tools.js';
import { ProcWatch } from './proc-watch.js';
import { registerProcResources } from './resources.js';
import { registerProcessTools, type ToolOptions } from './tools.js';

export interface AosMcpServer {
  server: McpServer;
  /** Drop the subscriptions' streams (the kernel connection is the caller's). */
  close(): void;
}

export function createAosMcpServer(client: KernelClient, options: ToolOptions = {}): AosMcpServer {
  const server = new McpServer(
    { name: 'aos', version: KERNEL_VERSION },
    {
      capabilities: { tools: {}, resources: { subscribe: true, listChanged: true } },
      instructions:
        'aos runs LLM agents as processes. spawn starts one, wait blocks until it ends, logs and the aos://proc/<pid>/log resource show what it did.',
    },
  );
  registerProcessTools(server, client, options);
  registerLifecycleTools(server, client);
  registerApprovalTools(server, client);
  registerProcResources(server, client);
  const watch = new ProcWatch(server, client);
  return { server, close: () => watch.close() };
}
