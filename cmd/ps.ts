/** `aos ps`: one row per process (live, --all, or the --last n created); `--json` prints the kernel's ProcRow array. */
import type { Command } from 'commander';
import { toInt } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { formatPsTable } from './ps-table.js';
import { tableWidth } from './width.js';

interface PsFlags {
  all?: boolean;
  last?: string;
  json?: boolean;
  trunc: boolean;
}

export async function runPs(flags: PsFlags): Promise<number> {
  const last = flags.last === undefined ? undefined : toInt(flags.last, '--last', 1, Number.MAX_SAFE_INTEGER);
  return withKernel(async (client) => {
    const rows = await client.request('ps', last === undefined ? { all: flags.all ?? false } : { last });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return EXIT.ok;
    }
    const width = tableWidth(flags.trunc);
    process.stdout.write(`${formatPsTable(rows, width)}\n`);
    return EXIT.ok;
  });
}

export function registerPs(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('ps')
    .description('list processes: live ones, or every one with --all')
    .option('-a, --all', 'include processes that have exited or were killed')
    .option('-n, --last <n>', 'only the n most recently created processes, in any state (reads only those)')
    .option('--no-trunc', 'never cut NAME, MODEL or STATE to fit the width')
    .option('--json', 'print an array of rows {pid, ppid, name, state, model, turns, syscalls, tokens, cost, age_s, ...}')
    .addHelpText(
      'after',
      `
Examples:
  aos ps
  aos ps -n 20
  aos ps --all --json | jq '.[] | select(.state == "blocked") | .pid'`,
    )
    .action((flags: PsFlags) => run(() => runPs(flags)));
}
