/** `aos schema [name]`: the JSON Schema of what `--json` prints (docs/schema/aos.schema.json, made from the zod types). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../sys/host/paths.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

export function schemaFile(): string {
  return path.join(packageRoot(), 'docs', 'schema', 'aos.schema.json');
}

export async function runSchema(name: string | undefined): Promise<number> {
  // Read, not built: zod stays out of the CLI (bench/cli.ts), the file is checked against the types by the tests.
  const all = JSON.parse(readFileSync(schemaFile(), 'utf8')) as { $defs: Record<string, unknown> };
  if (name === undefined) {
    out(`${JSON.stringify(all, null, 2)}\n`);
    return EXIT.ok;
  }
  const one = all.$defs[name];
  if (one === undefined) throw new CliError(`no schema "${name}" (there are: ${Object.keys(all.$defs).join(', ')})`);
  out(`${JSON.stringify(one, null, 2)}\n`);
  return EXIT.ok;
}

export const schemaVerb: VerbSpec = {
  name: 'schema',
  summary:
    'print the JSON Schema of the JSON the verbs print (logs, ps, inspect, spawn, kill, stop, wait, rm, prune, restart, kernel, policy check)',
  args: [
    [
      '[name]',
      'one schema: event, ps-row, ps, inspect, spawn-detached, kill, stop, wait, removed, restart, kernel-start, kernel-stop, kernel-restart, kernel-status, policy-check (default: all, under $defs)',
    ],
  ],
  help: `
The same file is in the repository: docs/schema/aos.schema.json.

Examples:
  aos schema event
  aos schema > aos.schema.json`,
  run: ({ args: [name] }) => runSchema(name as string | undefined),
};
