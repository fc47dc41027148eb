/**
 * `aos logs [pid]`: events from the kernel's store, then (with -f) live; without a pid, every
 * process's, or (--unit) a unit's runs'.
 */
import type { KernelClient } from '../client/client.js';
import { toInt, toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { EventPrinter, printLogs } from './follow.js';
import { cutsByTime, eventsFor, timeArg, type Window } from './log-window.js';
import { printAllLogs } from './logs-all.js';
import { EVERY_PROCESS, unitScope } from './logs-unit.js';
import type { VerbSpec } from './verb.js';

interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tree: boolean;
  json?: boolean;
  verbose?: boolean;
  unit?: string;
}

/** Lines shown without a pid and without --tail: the newest, as `docker logs` would be unbearable here. */
const ALL_DEFAULT_TAIL = 200;

async function printOne(
  client: KernelClient,
  pid: number,
  flags: LogsFlags,
  window: Window,
  printer: EventPrinter,
): Promise<number> {
  const tree = flags.tree;
  // The events to fetch so that --tail lines print (a fetched event may be a quiet one).
  const tail =
    window.tail === undefined || cutsByTime(window)
      ? undefined
      : await eventsFor(
          window.tail,
          async (n) => (await client.request('logs', { pid, tail: n, tree })).events,
          (e) => printer.line(e) !== null,
        );
  const outcome = await printLogs(
    client,
    { pid, tail, follow: flags.follow ?? false, tree },
    printer,
    undefined,
    window,
  );
  return outcome.interrupted ? EXIT.interrupted : EXIT.ok;
}

export async function runLogs(pidArg: string | undefined, flags: LogsFlags): Promise<number> {
  const pid = pidArg === undefined ? undefined : toPid(pidArg);
  if (pid !== undefined && flags.unit !== undefined)
    throw new CliError(`give a pid or --unit, not both (aos logs --unit ${flags.unit} prints its runs')`);
  const tailArg = flags.tail === undefined ? undefined : toInt(flags.tail, '--tail', 0, 1_000_000);
  const since = flags.since === undefined ? undefined : timeArg(flags.since, '--since');
  const until = flags.until === undefined ? undefined : timeArg(flags.until, '--until');
  const window: Window = {
    tail: tailArg ?? (pid === undefined && since === undefined && until === undefined ? ALL_DEFAULT_TAIL : undefined),
    since,
    until,
  };
  const printer = new EventPrinter({
    json: flags.json ?? false,
    verbose: flags.verbose ?? false,
    timestamps: flags.timestamps ?? false,
    thinking: flags.follow ?? false,
  });
  return withKernel(async (client) => {
    try {
      if (pid === undefined) {
        const scope = flags.unit === undefined ? EVERY_PROCESS : await unitScope(client, flags.unit, flags.tree);
        return await printAllLogs(client, flags.follow ?? false, window, printer, scope);
      }
      return await printOne(client, pid, flags, window, printer);
    } finally {
      printer.close();
    }
  });
}

export const logsVerb: VerbSpec = {
  name: 'logs',
  summary: "print a process's events (and its children's), or every process's; with -f, follow them",
  args: [
    ['[pid]', `process id; without it, every process (the last ${ALL_DEFAULT_TAIL} lines unless --tail or --since)`],
  ],
  options: [
    { flags: '-f, --follow', help: 'keep printing live events until the process ends (without a pid: until Ctrl-C)' },
    { flags: '-n, --tail <n>', help: 'only the last n lines of the history (with --json: the last n events)' },
    {
      flags: '--since <when>',
      help: 'only events since a duration ago (90s, 10m, 2h, 1d) or a time (2026-01-31T12:00)',
    },
    {
      flags: '--until <when>',
      help: 'only events before a duration ago or a time (with --since: a range)',
      conflicts: ['follow'],
    },
    { flags: '-t, --timestamps', help: 'prefix each line with its time' },
    {
      flags: '-u, --unit <name>',
      help: "only a unit's runs (and their children) and its trigger's firings, as journalctl -u",
    },
    { flags: '--no-tree', help: "only this process's events, not its descendants'" },
    { flags: '--json', help: 'one JSON event per line: {"ts","pid","type",...}' },
    { flags: '-v, --verbose', help: 'also print prompts, syscall arguments and every state change' },
  ],
  help: `
Exits 0 (130 when -f is interrupted with Ctrl-C), 1 for an unknown pid.

Examples:
  aos logs 1
  aos logs -f 1                 # re-attach to a detached spawn (aos attach 1 also sends your lines to its stdin)
  aos logs --since 10m -t       # every process, the last ten minutes, with times
  aos logs --unit nightly -n 50 # a unit's runs, the last 50 lines
  aos logs 3 --tail 20 --json | jq 'select(.type == "result")'`,
  run: ({ args: [pid], flags }) => runLogs(pid as string | undefined, flags as unknown as LogsFlags),
};
