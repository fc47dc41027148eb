/** `aos logs <pid>`: a process's events from the kernel's store, then (with -f) live until it ends. */
import type { Command } from 'commander';
import { toInt, toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { EventPrinter, printLogs } from './follow.js';

interface LogsFlags {
  follow?: boolean;
  tail?: string;
  tree: boolean;
  json?: boolean;
  verbose?: boolean;
}

export async function runLogs(pidArg: string, flags: LogsFlags): Promise<number> {
  const pid = toPid(pidArg);
  const tail = flags.tail === undefined ? undefined : toInt(flags.tail, '--tail', 0, Number.MAX_SAFE_INTEGER);
  const printer = new EventPrinter({ json: flags.json ?? false, verbose: flags.verbose ?? false });
  return withKernel(async (client) => {
    const outcome = await printLogs(client, { pid, tail, follow: flags.follow ?? false, tree: flags.tree }, printer);
    return outcome.interrupted ? EXIT.interrupted : EXIT.ok;
  });
}

export function registerLogs(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('logs')
    .description("print a process's events (and its children's); with -f, follow them until it ends")
    .argument('<pid>', 'process id')
    .option('-f, --follow', 'keep printing live events until the process ends')
    .option('-n, --tail <n>', 'only the last n events of the history')
    .option('--no-tree', "only this process's events, not its descendants'")
    .option('--json', 'one JSON event per line: {"ts","pid","type",...}')
    .option('-v, --verbose', 'also print prompts, syscall arguments and every state change')
    .addHelpText(
      'after',
      `
Exits 0 (130 when -f is interrupted with Ctrl-C), 1 for an unknown pid.

Examples:
  aos logs 1
  aos logs -f 1                 # re-attach to a detached spawn
  aos logs 3 --tail 20 --json | jq 'select(.type == "result")'`,
    )
    .action((pid: string, flags: LogsFlags) => run(() => runLogs(pid, flags)));
}
