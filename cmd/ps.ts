/** `aos ps`: one row per process (live, --all, or the --last n created); `--json` prints the kernel's ProcRow array. */
import type { Command } from 'commander';
import { toInt } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { formatPsTable } from './ps-table.js';
import { tableWidth } from './width.js';
import { matches, parseFilter } from './ps-filter.js';

interface PsFlags {
  all?: boolean;
  last?: string;
  json?: boolean;
  trunc: boolean;
  quiet?: boolean;
  filter: string[];
}

export async function runPs(flags: PsFlags): Promise<number> {
  const last = flags.last === undefined ? undefined : toInt(flags.last, '--last', 1, Number.MAX_SAFE_INTEGER);
  const filter = parseFilter(flags.filter);
  return withKernel(async (client) => {
    // A state filter may name ended states: look at every process then.
    const all = (flags.all ?? false) || filter.has('state');
    const listed = await client.request('ps', last === undefined ? { all } : { last });
    const rows = flags.filter.length ? listed.filter((r) => matches(r, filter)) : listed;
    if (flags.quiet) {
      process.stdout.write(rows.map((r) => `${r.pid}\n`).join(''));
      return EXIT.ok;
    }
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
    .option('-q, --quiet', 'print only the pids, one per line')
    .option('-f, --filter <key=value>', 'only rows where state, name, model, ppid, pid or role match (globs; repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--no-trunc', 'never cut NAME, MODEL or STATE to fit the width')
    .option('--json', 'print an array of rows {pid, ppid, name, state, model, turns, syscalls, tokens, cost, age_s, ...}')
    .addHelpText(
      'after',
      `
Examples:
  aos ps
  aos ps -n 20
  aos ps -a --filter state=exited -q | xargs aos rm
  aos ps --filter name='web*',state=blocked
  aos ps --all --json | jq '.[] | select(.state == "blocked") | .pid'`,
    )
    .action((flags: PsFlags) => run(() => runPs(flags)));
}
