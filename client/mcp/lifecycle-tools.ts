/**
 * `aos mcp`'s stop, inspect, restart and rm: the CLI's verbs of the same names, each the same
 * protocol requests the CLI sends (restart: client/restart.ts, shared with `aos restart`), so the
 * daemon checks them as it checks the CLI's. An MCP client could start and kill processes but not
 * stop one gracefully, look inside one, run one again or clear the ended (issue 51.4).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { KernelClient } from '../client.js';
import { restartProcess } from '../restart.js';
import { answer } from './tool-results.js';

const pid = z.number().int().positive().describe('process id');

/** `aos stop`'s default deadline, docker stop's. */
const STOP_TIMEOUT_S = 10;

export function registerLifecycleTools(server: McpServer, client: KernelClient): void {
  server.registerTool(
    'stop',
    {
      description: `Ask a process (and its subtree) to exit: it hears [EVENT::STOP] and has timeout_s (default ${STOP_TIMEOUT_S}) to end before it is killed, like \`aos stop\`. Returns the pids told; wait on each for its end.`,
      inputSchema: {
        pid,
        timeout_s: z.number().positive().max(86_400).optional(),
        tree: z.boolean().optional().describe('its descendants too (default true)'),
      },
    },
    (args) =>
      answer(() =>
        client.request('stop', { pid: args.pid, timeout_s: args.timeout_s ?? STOP_TIMEOUT_S, tree: args.tree ?? true }),
      ),
  );
  server.registerTool(
    'inspect',
    {
      description:
        'One process in full, like `aos inspect`: its row, task, capabilities, limits, workdir and children.',
      inputSchema: { pid },
    },
    (args) => answer(() => client.request('inspect', { pid: args.pid })),
  );
  server.registerTool(
    'restart',
    {
      description:
        'Start a new process like an old one (task, model, name, capabilities, limits), killing a live old one first, like `aos restart`. Returns {pid, old_pid, killed}.',
      inputSchema: { pid },
    },
    (args) => answer(() => restartProcess(client, args.pid)),
  );
  server.registerTool(
    'rm',
    {
      description:
        'Remove ended processes and their history from the store, like `aos rm` (a live one is refused: stop or kill it first).',
      inputSchema: { pids: z.array(pid).min(1).max(10_000) },
    },
    (args) => answer(() => client.request('rm', { pids: args.pids })),
  );
}
