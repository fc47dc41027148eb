/** `aos kill <pid>`: end a process and, unless --no-tree, its descendants. */
import type { Command } from 'commander';
import type { KernelClient } from '../kernel/client/client.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';

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
    if (flags.json) process.stdout.write(`${JSON.stringify({ killed })}\n`);
    else if (killed.length) process.stdout.write(`killed ${killed.join(' ')}\n`);
    else process.stderr.write(`aos: process ${pid} has already ended; nothing to kill\n`);
    return EXIT.ok;
  });
}

export function registerKill(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('kill')
    .description('kill a process and its descendants (their state becomes killed, exit code 137)')
    .argument('<pid>', 'process id')
    .option('--no-tree', 'kill only this process, not its descendants')
    .option('--json', 'print {"killed":[pids]}')
    .addHelpText(
      'after',
      `
Prints the pids that were killed. Exits 0 (also when the process had already ended), 1 for an unknown pid.

Examples:
  aos kill 3
  aos kill 3 --no-tree`,
    )
    .action((pid: string, flags: KillFlags) => run(() => runKill(pid, flags)));
}
