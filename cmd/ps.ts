/** `aos ps`: one row per process (live, --all, or the --last n created); `--json` prints the kernel's ProcRow array. */
import { toInt } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { readFormat, renderFormat } from './ps-format.js';
import { formatPsTable } from './ps-table.js';
import { tableWidth } from './width.js';
import { matches, parseFilter, unitsNamed } from './ps-filter.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

interface PsFlags {
  all?: boolean;
  last?: string;
  json?: boolean;
  trunc: boolean;
  quiet?: boolean;
  filter: string[];
  format?: string;
  output?: string;
}

export async function runPs(flags: PsFlags): Promise<number> {
  const last = flags.last === undefined ? undefined : toInt(flags.last, '--last', 1, Number.MAX_SAFE_INTEGER);
  const filter = parseFilter(flags.filter);
  if (flags.output !== undefined && flags.output !== 'wide')
    throw new CliError(`-o takes wide (got "${flags.output}"); --json for JSON, --format for your own columns`);
  const format = flags.format === undefined ? null : readFormat(flags.format);
  return withKernel(
    async (client) => {
      // A state filter may name ended states: look at every process then.
      const all = (flags.all ?? false) || filter.has('state');
      const listed = await client.request('ps', last === undefined ? { all } : { last });
      let unitPids: Set<number> | undefined;
      if (filter.has('unit')) {
        const names = unitsNamed(
          filter,
          (await client.request('unit_ls', {})).units.map((u) => u.name),
        );
        const runs = await Promise.all(names.map((name) => client.request('unit_runs', { name, limit: 1000 })));
        unitPids = new Set(runs.flatMap((r) => r.runs.flatMap((run) => (run.pid === null ? [] : [run.pid]))));
      }
      const rows = flags.filter.length ? listed.filter((r) => matches(r, filter, unitPids)) : listed;
      if (flags.quiet) {
        out(rows.map((r) => `${r.pid}\n`).join(''));
        return EXIT.ok;
      }
      if (flags.json) {
        out(`${JSON.stringify(rows)}\n`);
        return EXIT.ok;
      }
      if (format && 'template' in format) {
        out(renderFormat(format.template, rows));
        return EXIT.ok;
      }
      // -o wide: every column, nothing cut (as --no-trunc).
      const width = flags.output === 'wide' ? Infinity : tableWidth(flags.trunc);
      out(`${formatPsTable(rows, width, Date.now(), format?.columns)}\n`);
      return EXIT.ok;
    },
    { retryIfLost: true },
  );
}

export const psVerb: VerbSpec = {
  name: 'ps',
  summary: 'list processes: live ones, or every one with --all',
  options: [
    { flags: '-a, --all', help: 'include processes that have exited or were killed' },
    { flags: '-n, --last <n>', help: 'only the n most recently created processes, in any state (reads only those)' },
    { flags: '-q, --quiet', help: 'print only the pids, one per line' },
    {
      flags: '-f, --filter <key=value>',
      help: 'only rows where state, name, model, ppid, pid, role or unit (its runs) match (globs; repeatable)',
      repeatable: true,
    },
    { flags: '--no-trunc', help: 'never cut NAME, MODEL or STATE to fit the width' },
    { flags: '-o, --output <format>', help: 'wide: every column, nothing cut' },
    {
      flags: '--format <format>',
      help: 'columns (pid,name,state) or a Go template: "{{.Pid}}\\t{{.Name}}", "table {{.Pid}} {{.Status}}", "{{json .}}"',
      conflicts: ['json', 'quiet'],
    },
    {
      flags: '--json',
      help: 'print an array of rows {pid, ppid, name, state, model, turns, syscalls, tokens, cost, age_s, ...}',
    },
  ],
  help: `
Examples:
  aos ps
  aos ps -n 20
  aos ps -a --filter state=exited -q | xargs aos rm
  aos ps --filter name='web*',state=blocked
  aos ps -o wide
  aos ps --format pid,name,state,cost
  aos ps -a --format 'table {{.Pid}}\t{{.Name}}\t{{.Status}}'
  aos ps --all --json | jq '.[] | select(.state == "blocked") | .pid'`,
  run: ({ flags }) => runPs(flags as unknown as PsFlags),
};
