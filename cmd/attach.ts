/** `aos attach <pid>`: follow a process (and its children) like an attached spawn; typed lines go to its stdin. */
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import type { KernelClient } from '../kernel/client/client.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { EventPrinter, printLogs } from './follow.js';

/** Each line read from our stdin is written to the process's stdin, in order. */
function forwardLines(client: KernelClient, pid: number): () => void {
  const lines = createInterface({ input: process.stdin, terminal: false });
  let chain = Promise.resolve();
  lines.on('line', (text) => {
    chain = chain
      .then(async () => {
        await client.request('send', { pid, text });
      })
      .catch((error: unknown) => {
        process.stderr.write(`aos: ${(error as Error).message}\n`);
      });
  });
  return () => lines.close();
}

export async function runAttach(pidArg: string, flags: { json?: boolean; verbose?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  return withKernel(async (client) => {
    const printer = new EventPrinter({ json: flags.json ?? false, verbose: flags.verbose ?? false, thinking: true });
    const stopForwarding = forwardLines(client, pid);
    try {
      const outcome = await printLogs(client, { pid, follow: true, tree: true, tail: 20 }, printer, () => {
        process.stderr.write(`\naos: detached from process ${pid}, which keeps running\n`);
      });
      if (outcome.end) return outcome.end.code ?? EXIT.usage;
      return outcome.interrupted ? EXIT.interrupted : EXIT.unreachable;
    } finally {
      stopForwarding();
      printer.close();
    }
  });
}

export function registerAttach(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('attach')
    .description("follow a running process and its children; each line you type goes to its stdin")
    .argument('<pid>', 'process id')
    .option('--json', 'print events as JSON lines')
    .option('-v, --verbose', 'also print prompts, syscall arguments and every state change')
    .addHelpText(
      'after',
      `
Prints the last 20 events, then follows until the process ends and exits with its code.
Ctrl-C detaches (exit 130); the process keeps running.

Examples:
  aos attach 3
  echo "the answer is 42" | aos attach 3`,
    )
    .action((pid: string, flags: { json?: boolean; verbose?: boolean }) => run(() => runAttach(pid, flags)));
}
