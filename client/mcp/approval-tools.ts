/**
 * `approvals` / `approve` / `deny`, registered only when this build's protocol has those methods
 * (the approvals issue adds them): the tools call them as they are. Each listed approval also
 * carries `shown`, its call as a person reads it (protocol/show-call.ts, as aos approvals prints it:
 * an exec's program, argv quoted, cwd, env; hidden characters escaped).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { isMethod } from '../../protocol/protocol.js';
import { showApproval } from '../../protocol/show-call.js';
import type { KernelClient } from '../client.js';
import { answer } from './tool-results.js';

type Untyped = (method: string, params: unknown) => Promise<unknown>;
type Listed = { approvals: Array<{ call: string; args: unknown; subject?: string }> };

/** The kernel's list, each row with `shown` beside its raw `args`. */
function withShown(listed: Listed): Listed {
  return { approvals: listed.approvals.map((row) => ({ ...row, shown: showApproval(row) })) };
}

export function registerApprovalTools(server: McpServer, client: KernelClient): boolean {
  if (!isMethod('approvals') || !isMethod('approve') || !isMethod('deny')) return false;
  const request = client.request.bind(client) as unknown as Untyped;
  server.registerTool(
    'approvals',
    { description: 'Calls waiting for a person to approve or deny them.', inputSchema: {} },
    () => answer(async () => withShown((await request('approvals', {})) as Listed)),
  );
  server.registerTool('approve', { description: 'Approve a waiting call.', inputSchema: { id: z.string() } }, (args) =>
    answer(() => request('approve', { id: args.id })),
  );
  server.registerTool(
    'deny',
    { description: 'Deny a waiting call.', inputSchema: { id: z.string(), reason: z.string().optional() } },
    (args) => answer(() => request('deny', { ...args })),
  );
  return true;
}
