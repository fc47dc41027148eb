/** `aos schema [name]`: the JSON Schema of what `--json` prints (docs/schema/aos.schema.json, made from the zod types). */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../kernel/paths.js';
import { CliError, EXIT } from './fail.js';

export function schemaFile(): string {
  return path.join(packageRoot(), 'docs', 'schema', 'aos.schema.json');
}

export async function runSchema(name: string | undefined): Promise<number> {
  // Read, not built: zod stays out of the CLI (bench/cli.ts), the file is checked against the types by the tests.
  const all = JSON.parse(readFileSync(schemaFile(), 'utf8')) as { $defs: Record<string, unknown> };
  if (name === undefined) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return EXIT.ok;
  }
  const one = all.$defs[name];
  if (one === undefined) throw new CliError(`no schema "${name}" (there are: ${Object.keys(all.$defs).join(', ')})`);
  process.stdout.write(`${JSON.stringify(one, null, 2)}\n`);
  return EXIT.ok;
}

export function registerSchema(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('schema')
    .description('print the JSON Schema of the JSON the verbs print: event (logs --json), ps-row, ps, inspect')
    .argument('[name]', 'one schema: event, ps-row, ps or inspect (default: all, under $defs)')
    .addHelpText(
      'after',
      `
The same file is in the repository: docs/schema/aos.schema.json.

Examples:
  aos schema event
  aos schema > aos.schema.json`,
    )
    .action((name: string | undefined) => run(() => runSchema(name)));
}
