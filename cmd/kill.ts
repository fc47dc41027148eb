/** `aos kill <pid>`: end a process and, unless --no-tree, its descendants. */
import type { KernelClient } from '../client/client.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out, err } from './out.js';
import type { VerbSpec } from './verb.js';

interface KillFlags {
  tree: boolean;
  json?: boolean;
}

/** Longest `kill` waits to see the process reaped, so a following `ps` shows it ended. */
const REAP_WAIT_MS = 5000;

async function waitReaped(client: KernelClient, pid: number): Promise<void> {
  const { pushes } = await client.stream('logs', { pid, tail: 0, follow: true });
  const timer = setTimeout(() => void pushes.return(), REAP_WAIT_MS);
  try {
    for await (const push of pushes) if (push.event === 'end') break;
  } finally {
    clearTimeout(timer);
  }
}

export async function runKill(pidArg: string, flags: KillFlags): Promise<number> {
  const pid = toPid(pidArg);
  return withKernel(async (client) => {
    const { killed } = await client.request('kill', { pid, tree: flags.tree });
    if (killed.includes(pid)) await waitReaped(client, pid);
    if (flags.json) out(`${JSON.stringify({ killed })}\n`);
    else if (killed.length) out(`killed ${killed.join(' ')}\n`);
    else err(`aos: process ${pid} has already ended; nothing to kill\n`);
    return EXIT.ok;
  });
}

export const killVerb: VerbSpec = {
  name: 'kill',
  summary: 'kill a process and its descendants (their state becomes killed, exit code 137)',
  args: [['<pid>', 'process id']],
  options: [
    { flags: '--no-tree', help: 'kill only this process, not its descendants' },
    { flags: '--json', help: 'print {"killed":[pids]}' },
  ],
  help: `
Prints the pids that were killed. Exits 0 (also when the process had already ended), 1 for an unknown pid.

Examples:
  aos kill 3
  aos kill 3 --no-tree`,
  run: ({ args: [pid], flags }) => runKill(pid as string, flags as unknown as KillFlags),
};
