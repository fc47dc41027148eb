/**
 * `aos mcp`'s resources: `aos://proc/<pid>` (the process's row: state, counters, cost) and
 * `aos://proc/<pid>/log` (its latest events, one JSON per line). Subscriptions: proc-watch.ts.
 */
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { KernelClient } from '../client.js';

export const PROC_URI = /^aos:\/\/proc\/([1-9]\d*)(\/log)?$/;

export function procUri(pid: number, log = false): string {
  return `aos://proc/${pid}${log ? '/log' : ''}`;
}

function pidOf(value: string | string[] | undefined): number {
  const pid = Number(Array.isArray(value) ? value[0] : value);
  if (!Number.isSafeInteger(pid) || pid < 1) throw new AosError('EINVAL', `not a process id: ${String(value)}`);
  return pid;
}

async function readProc(client: KernelClient, uri: string, pid: number): Promise<ReadResourceResult> {
  const { procs } = await client.request('logs', { pid, tail: 0 });
  const row = procs.find((p) => p.pid === pid);
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(row ?? null, null, 2) }] };
}

async function readLog(client: KernelClient, uri: string, pid: number): Promise<ReadResourceResult> {
  const { events } = await client.request('logs', { pid, tail: param.mcpLogTail });
  return {
    contents: [{ uri, mimeType: 'application/x-ndjson', text: events.map((e) => JSON.stringify(e)).join('\n') }],
  };
}

export function registerProcResources(server: McpServer, client: KernelClient): void {
  const live = async (log: boolean) => ({
    resources: (await client.request('ps', {})).map((row) => ({
      uri: procUri(row.pid, log),
      name: `${row.name} (pid ${row.pid})${log ? ' log' : ''}`,
      mimeType: log ? 'application/x-ndjson' : 'application/json',
    })),
  });
  server.registerResource(
    'process',
    new ResourceTemplate('aos://proc/{pid}', { list: () => live(false) }),
    {
      description: 'A process: state, turns, syscalls, tokens, cost, exit code and reason. Subscribe for changes.',
      mimeType: 'application/json',
    },
    (uri, vars) => readProc(client, uri.href, pidOf(vars.pid)),
  );
  server.registerResource(
    'process-log',
    new ResourceTemplate('aos://proc/{pid}/log', { list: () => live(true) }),
    {
      description: `A process's latest ${param.mcpLogTail} log events, one JSON object per line. Subscribe for new ones.`,
      mimeType: 'application/x-ndjson',
    },
    (uri, vars) => readLog(client, uri.href, pidOf(vars.pid)),
  );
}
