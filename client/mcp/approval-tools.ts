/**
 * `approvals` / `approve` / `deny`, registered only when this build's protocol has those methods
 * (the approvals issue adds them): the tools call them as they are.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { isMethod } from '../../protocol/protocol.js';
import type { KernelClient } from '../client.js';
import { answer } from './tool-results.js';

type Untyped = (method: string, params: unknown) => Promise<unknown>;

export function registerApprovalTools(server: McpServer, client: KernelClient): boolean {
  if (!isMethod('approvals') || !isMethod('approve') || !isMethod('deny')) return false;
  const request = client.request.bind(client) as unknown as Untyped;
  server.registerTool('approvals', { description: 'Calls waiting for a person to approve or deny them.', inputSchema: {} }, () => answer(() => request('approvals', {})));
  server.registerTool('approve', { description: 'Approve a waiting call.', inputSchema: { id: z.string() } }, (args) => answer(() => request('approve', { id: args.id })));
  server.registerTool(
    'deny',
    { description: 'Deny a waiting call.', inputSchema: { id: z.string(), reason: z.string().optional() } },
    (args) => answer(() => request('deny', { ...args })),
  );
  return true;
}
