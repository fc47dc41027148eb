/**
 * `aos unit add|ls|show|run|enable|disable|rm|runs`: declared agents and the triggers that start
 * them (docs/units.md). `add` shows what the unit's runs may do against the policy before keeping it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KernelClient } from '../client/client.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { confirm, err, out } from './out.js';
import {
  endReason,
  formatInstall,
  formatPlan,
  formatRuns,
  formatUnits,
  lastRun,
  runOutcome,
  until,
} from './unit-format.js';
import type { VerbSpec } from './verb.js';

interface Flags {
  json?: boolean;
  yes?: boolean;
  replace?: boolean;
  limit?: string;
}

const print = (json: boolean, value: unknown, human: string): void =>
  out(json ? `${JSON.stringify(value)}\n` : `${human}\n`);

/** The unit file's text (the kernel parses it and finds a relative `replay:` tape beside it). */
async function readUnit(file: string): Promise<{ text: string; file: string }> {
  try {
    return { text: await readFile(file, 'utf8'), file: path.resolve(file) };
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
}

async function runAdd(file: string, flags: Flags): Promise<number> {
  const unit = await readUnit(file);
  return withKernel(async (client) => {
    const plan = await client.request('unit_add', { ...unit, dry_run: true, replace: flags.replace ?? false });
    if (!flags.json) err(`${formatPlan(plan)}\n`);
    const lacking = plan.mcp.filter((m) => m.status !== 'declared').map((m) => m.server);
    if (lacking.length > 0)
      throw new CliError(
        `unit ${plan.unit.name} refused: the kernel does not run its MCP servers ${lacking.join(', ')} as declared (the lines to add are above)`,
      );
    if (plan.beyond.length > 0) {
      throw new CliError(
        `unit ${plan.unit.name} refused: it asks for more than the policy's root holds: ${plan.beyond.join(', ')} (see aos policy show)`,
      );
    }
    if (!flags.yes) {
      if (!process.stdin.isTTY) throw new CliError(`not added: confirm with --yes (stdin is not a terminal to ask on)`);
      if (!(await confirm(`Add unit ${plan.unit.name}? [y/N] `))) {
        err('aos: not added\n');
        return EXIT.usage;
      }
    }
    const added = await client.request('unit_add', { ...unit, replace: flags.replace ?? false });
    const { webhooks } = added.unit.triggers.some((t) => t.startsWith('webhook '))
      ? await client.request('unit_show', { name: added.unit.name })
      : { webhooks: [] };
    const urls = webhooks.map((w) => `\n  webhook ${w.path}: ${w.url ?? '(no gateway listens)'}`).join('');
    print(
      flags.json ?? false,
      added,
      `${added.replaced ? 'changed' : 'added'} unit ${added.unit.name}; next run ${until(added.unit.next_run)}${urls}`,
    );
    return EXIT.ok;
  });
}

async function runInstall(source: string, flags: Flags): Promise<number> {
  const at = path.resolve(source);
  return withKernel(async (client) => {
    const plan = await client.request('unit_install', { path: at, dry_run: true, replace: flags.replace ?? false });
    if (!flags.json) err(`${formatInstall(plan)}\n`);
    const name = plan.plan.unit.name;
    const lacking = plan.plan.mcp.filter((m) => m.status !== 'declared').map((m) => m.server);
    if (lacking.length > 0)
      throw new CliError(
        `unit ${name} refused: the kernel does not run its MCP servers ${lacking.join(', ')} as declared (the lines to add are above)`,
      );
    if (plan.plan.beyond.length > 0)
      throw new CliError(
        `unit ${name} refused: it asks for more than the policy's root holds: ${plan.plan.beyond.join(', ')} (see aos policy show)`,
      );
    if (!flags.yes) {
      if (!process.stdin.isTTY)
        throw new CliError(`not installed: confirm with --yes (stdin is not a terminal to ask on)`);
      if (!(await confirm(`Install unit ${name}? [y/N] `))) {
        err('aos: not installed\n');
        return EXIT.usage;
      }
    }
    const done = await client.request('unit_install', { path: at, replace: flags.replace ?? false });
    print(
      flags.json ?? false,
      done,
      `${done.plan.replaced ? 'replaced' : 'installed'} unit ${name} in ${done.dir}; next run ${until(done.plan.unit.next_run)}`,
    );
    return EXIT.ok;
  });
}

function simple(work: (client: KernelClient, flags: Flags, name: string) => Promise<number>) {
  return ({ args: [name], flags }: { args: Array<string | string[] | undefined>; flags: Record<string, unknown> }) =>
    withKernel((client) => work(client, flags as Flags, name as string));
}

const json = { flags: '--json', help: 'print the answer as JSON (aos schema names its shape)' };

export const unitVerb: VerbSpec = {
  name: 'unit',
  summary: 'declared agents that start themselves: on a schedule, at a time, by hand (docs/units.md)',
  help: `
A unit is a YAML file: name, task (with {{trigger.*}}), model, capabilities, budgets, triggers
(cron with tz, every, at, watch, webhook, on) and policies (on_overlap, catch_up, restart). Each run is an ordinary
process named after its unit: aos ps, logs, top, approvals and audit apply to it.

Examples:
  aos unit add examples/units/heartbeat.yaml --yes
  aos unit ls
  aos unit runs heartbeat`,
  subcommands: [
    {
      name: 'add',
      summary: 'add a unit from its YAML file, after showing what its runs may do',
      args: [['<file>', 'the unit file (YAML)']],
      options: [
        { flags: '-y, --yes', help: 'add without asking' },
        { flags: '--replace', help: 'change the unit of that name if there is one' },
        json,
      ],
      help: `
Shows the unit's triggers, next run, policies and the capabilities its runs will hold; one the
policy's root does not hold refuses the unit (exit 1, naming each). Then asks, on a terminal;
without one, --yes is required. A relative replay: tape is found beside the unit file.`,
      run: ({ args: [file], flags }) => runAdd(file as string, flags as Flags),
    },
    {
      name: 'install',
      summary:
        'install a unit package (a directory or .tar.gz with unit.yaml, its prompts and tapes), after showing what it may do',
      args: [['<package>', 'a directory holding unit.yaml, or a .tar.gz / .tgz of one']],
      options: [
        { flags: '-y, --yes', help: 'install without asking' },
        { flags: '--replace', help: 'replace an installed unit of that name' },
        json,
      ],
      help: `
A package is a directory (or a .tar.gz of one) with unit.yaml at its top and the files it names:
role_file: and task_file: (prompts), a relative replay: tape, and mcp_servers: (MCP server
declarations, in the policy's own shape). Install shows the unit's triggers, policies, the
capabilities its runs will hold, the servers it declares and its files, then asks (or wants
--yes). A capability the policy's root does not hold, or a server the kernel does not run as
declared, refuses it: a unit never brings its own server — the lines to add to the policy are
printed. The package is kept in $AOS_HOME/units/<name>; aos unit rm removes it.

Example:
  aos unit install examples/units/digest-pkg --yes`,
      run: ({ args: [source], flags }) => runInstall(source as string, flags as Flags),
    },
    {
      name: 'ls',
      summary: 'every unit: its triggers, next run, last run, runs and skips',
      options: [json],
      run: ({ flags }) =>
        withKernel(async (client) => {
          const result = await client.request('unit_ls', {});
          print((flags as Flags).json ?? false, result, formatUnits(result.units));
          return EXIT.ok;
        }),
    },
    {
      name: 'show',
      summary: 'one unit: as listed, its declaration in full and what its runs hold',
      args: [['<name>', 'the unit']],
      options: [json],
      run: simple(async (client, flags, name) => {
        const r = await client.request('unit_show', { name });
        const hooks = r.webhooks.map((w) => `webhook ${w.path}: ${w.url ?? '(no gateway listens)'}`);
        const { last: run } = r.unit;
        const last = run?.end
          ? [`last run: pid ${run.pid} ${runOutcome(run)}${endReason(run) ? `: ${endReason(run)}` : ''}`]
          : [];
        const human = [
          formatUnits([r.unit]),
          '',
          ...last,
          `its runs' logs: aos logs --unit ${name}`,
          `runs hold: ${r.capabilities.join(', ') || '(nothing)'}`,
          ...hooks,
          '',
          JSON.stringify(r.spec, null, 2),
        ].join('\n');
        print(flags.json ?? false, r, human);
        return EXIT.ok;
      }),
    },
    {
      name: 'run',
      summary: 'start one run now, by hand (the unit’s overlap policy applies)',
      args: [['<name>', 'the unit']],
      options: [json],
      run: simple(async (client, flags, name) => {
        const r = await client.request('unit_run', { name });
        const human =
          r.outcome === 'started' ? `${r.pid}` : `aos: ${name} not started (${r.outcome}): ${r.reason ?? ''}`;
        if (flags.json || r.outcome === 'started' || r.outcome === 'queued')
          print(flags.json ?? false, r, r.outcome === 'queued' ? `queued: ${r.reason ?? ''}` : human);
        else err(`${human}\n`);
        return r.outcome === 'started' || r.outcome === 'queued' ? EXIT.ok : EXIT.usage;
      }),
    },
    ...(['enable', 'disable'] as const).map((verb): VerbSpec => ({
      name: verb,
      summary:
        verb === 'enable'
          ? 'turn its triggers on (its schedule counts from now)'
          : 'turn its triggers off (runs going on go on)',
      args: [['<name>', 'the unit']],
      options: [json],
      run: simple(async (client, flags, name) => {
        const r = await client.request('unit_enable', { name, enabled: verb === 'enable' });
        print(flags.json ?? false, r, `${name} ${verb}d; next run ${until(r.unit.next_run)}`);
        return EXIT.ok;
      }),
    })),
    {
      name: 'rm',
      summary: 'remove a unit and the record of its runs (its processes stay)',
      args: [['<name>', 'the unit']],
      options: [json],
      run: simple(async (client, flags, name) => {
        const r = await client.request('unit_rm', { name });
        const going = r.unit.live.length ? `; still running: ${r.unit.live.join(', ')} (aos kill <pid> stops one)` : '';
        print(flags.json ?? false, r, `removed unit ${name} (last run: ${lastRun(r.unit.last)})${going}`);
        return EXIT.ok;
      }),
    },
    {
      name: 'runs',
      summary: 'its firings, newest first: started, queued, skipped, failed, and why',
      args: [['<name>', 'the unit']],
      options: [{ flags: '-n, --limit <n>', help: 'how many (default 50, at most 1000)' }, json],
      run: simple(async (client, flags, name) => {
        const limit = flags.limit === undefined ? undefined : Number(flags.limit);
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0 && limit <= 1000))
          throw new CliError(`--limit must be a whole number from 1 to 1000 (got "${flags.limit}")`);
        const r = await client.request('unit_runs', { name, ...(limit === undefined ? {} : { limit }) });
        print(flags.json ?? false, r, formatRuns(r.runs));
        return EXIT.ok;
      }),
    },
  ],
};
