/** `aos attach <pid>`: follow a process (and its children) like an attached spawn; typed lines go to its stdin. */
import { createInterface } from 'node:readline';
import type { KernelClient } from '../client/client.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { EventPrinter, printLogs } from './follow.js';
import { err } from './out.js';
import type { VerbSpec } from './verb.js';

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
        err(`aos: ${(error as Error).message}\n`);
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
        err(`\naos: detached from process ${pid}, which keeps running\n`);
      });
      if (outcome.end) return outcome.end.code ?? EXIT.usage;
      return outcome.interrupted ? EXIT.interrupted : EXIT.unreachable;
    } finally {
      stopForwarding();
      printer.close();
    }
  });
}

export const attachVerb: VerbSpec = {
  name: 'attach',
  summary: 'follow a running process and its children; each line you type goes to its stdin',
  args: [['<pid>', 'process id']],
  options: [
    { flags: '--json', help: 'print events as JSON lines' },
    { flags: '-v, --verbose', help: 'also print prompts, syscall arguments and every state change' },
  ],
  help: `
Prints the last 20 events, then follows until the process ends and exits with its code.
Ctrl-C detaches (exit 130); the process keeps running.

Examples:
  aos attach 3
  echo "the answer is 42" | aos attach 3`,
  run: ({ args: [pid], flags }) => runAttach(pid as string, flags as { json?: boolean; verbose?: boolean }),
};
