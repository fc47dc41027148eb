/**
 * `aos mcp`'s tools: the CLI's verbs with the CLI's names and arguments, each one protocol
 * request to the daemon (this module is a client like the CLI).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { param } from '../../sys/param.js';
import type { KernelClient } from '../client.js';
import { answer } from './tool-results.js';

const pid = z.number().int().positive().describe('process id');

export interface ToolOptions {
  /** Where relative replay tapes resolve (the stdio server's cwd); the daemon's own when absent. */
  cwd?: string;
}

export function registerProcessTools(server: McpServer, client: KernelClient, options: ToolOptions): void {
  server.registerTool(
    'spawn',
    {
      description: 'Start an agent process (like `aos spawn --detach`); returns its pid.',
      inputSchema: {
        task: z.string().describe('what the agent should do'),
        model: z.string().min(1).describe('provider:model, e.g. gemini:gemini-2.5-flash or replay:tape.yaml'),
        name: z.string().min(1).max(128).optional(),
        capabilities: z
          .array(z.string())
          .optional()
          .describe("narrows the policy's root capabilities, never widens them"),
        idempotency_key: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe('start it once: the same key and arguments answer with the same pid (replayed: true)'),
      },
    },
    (args) =>
      answer(async () => {
        const row = await client.request('spawn', { ...args, ...(options.cwd ? { cwd: options.cwd } : {}) });
        return { pid: row.pid, ...((row as { replayed?: boolean }).replayed ? { replayed: true } : {}) };
      }),
  );
  server.registerTool(
    'ps',
    {
      description: 'List processes (live ones; every stored one with all).',
      inputSchema: { all: z.boolean().optional() },
    },
    (args) => answer(async () => ({ processes: await client.request('ps', args.all ? { all: true } : {}) })),
  );
  server.registerTool(
    'logs',
    {
      description: "A process's log events (the newest `tail`).",
      inputSchema: { pid, tail: z.number().int().nonnegative().optional() },
    },
    (args) =>
      answer(async () => ({
        events: (await client.request('logs', { pid: args.pid, tail: args.tail ?? param.mcpLogTail })).events,
      })),
  );
  server.registerTool('kill', { description: 'Kill a process and its subtree.', inputSchema: { pid } }, (args) =>
    answer(() => client.request('kill', { pid: args.pid })),
  );
  server.registerTool(
    'send',
    {
      description: "Write text to a running process's stdin (SYS_READ_STDIN reads it).",
      inputSchema: { pid, text: z.string() },
    },
    (args) => answer(() => client.request('send', args)),
  );
  server.registerTool(
    'wait',
    {
      description: `Block until a process ends (at most timeout_s, default ${param.mcpWaitDefaultS}); returns its exit code, reason and output, or timed_out with its state.`,
      inputSchema: { pid, timeout_s: z.number().nonnegative().max(3600).optional() },
    },
    (args) =>
      answer(() => client.request('wait', { pid: args.pid, timeout_s: args.timeout_s ?? param.mcpWaitDefaultS })),
  );
}
