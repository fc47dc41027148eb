/** `aos up [-f aos.yaml]` / `aos down`: a file of units applied as a set, compose-style (docs/units.md). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultOf } from '../protocol/protocol.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { confirm, err, out } from './out.js';
import type { VerbSpec } from './verb.js';

interface Flags {
  file?: string;
  yes?: boolean;
  json?: boolean;
}

type Plan = ResultOf<'unit_apply'>['plan'];

function describePlan(file: string, plan: Plan): string {
  const lines = [`units of ${file}:`];
  for (const name of plan.added) lines.push(`  + ${name}  (added)`);
  for (const name of plan.changed) lines.push(`  ~ ${name}  (changed)`);
  for (const name of plan.removed) lines.push(`  - ${name}  (removed)`);
  for (const name of plan.unchanged) lines.push(`    ${name}  (unchanged)`);
  for (const b of plan.beyond)
    lines.push(`  ✗ ${b.unit} asks for ${b.capabilities.join(', ')}: the policy's root does not hold it`);
  if (lines.length === 1) lines.push('  (none)');
  return lines.join('\n');
}

async function run(down: boolean, flags: Flags): Promise<number> {
  const file = path.resolve(flags.file ?? 'aos.yaml');
  let text = '';
  if (!down || flags.file !== undefined) {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (!down)
        throw new CliError(
          `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (aos up reads ./aos.yaml, or -f FILE)' : (error as Error).message}`,
        );
    }
  }
  return withKernel(async (client) => {
    const planned = await client.request('unit_apply', { text, file, dry_run: true, down });
    const { plan } = planned;
    if (!flags.json) err(`${describePlan(file, plan)}\n`);
    if (plan.beyond.length > 0)
      throw new CliError(
        `not applied: ${plan.beyond.map((b) => b.unit).join(', ')} ask for more than the policy's root holds (see aos policy show)`,
      );
    const todo = plan.added.length + plan.changed.length + plan.removed.length;
    if (todo === 0) {
      if (flags.json) out(`${JSON.stringify(planned)}\n`);
      else err('aos: nothing to change\n');
      return EXIT.ok;
    }
    if (!flags.yes) {
      if (!process.stdin.isTTY)
        throw new CliError('not applied: confirm with --yes (stdin is not a terminal to ask on)');
      if (!(await confirm(`Apply? [y/N] `))) {
        err('aos: not applied\n');
        return EXIT.usage;
      }
    }
    const applied = await client.request('unit_apply', { text, file, down });
    out(
      flags.json
        ? `${JSON.stringify(applied)}\n`
        : `applied: ${applied.plan.added.length} added, ${applied.plan.changed.length} changed, ${applied.plan.removed.length} removed\n`,
    );
    return EXIT.ok;
  });
}

const options = [
  { flags: '-f, --file <file>', help: 'the set file (default ./aos.yaml)' },
  { flags: '-y, --yes', help: 'apply without asking' },
  { flags: '--json', help: 'print {file, plan, applied}' },
];

export const upVerb: VerbSpec = {
  name: 'up',
  summary: 'apply a file of units as a set: add and change what it lists, remove what it no longer does',
  options,
  help: `
The file lists units inline or by file, relative to it:
  units:
    - file: units/heartbeat.yaml
    - name: digest
      task: Summarise /inbox
      triggers: [{cron: "0 7 * * *", tz: Europe/Berlin}]
Shows the plan (+ added, ~ changed, - removed) and asks; a set asking for a capability the policy's
root lacks is refused whole. Runs going on go on.

Examples:
  aos up --yes
  aos up -f ops/aos.yaml --json --yes`,
  run: ({ flags }) => run(false, flags as Flags),
};

export const downVerb: VerbSpec = {
  name: 'down',
  summary: 'remove every unit a file of units applied (aos up)',
  options,
  help: `
Removes the units the file applied last time (its runs going on go on).

Examples:
  aos down --yes`,
  run: ({ flags }) => run(true, flags as Flags),
};
