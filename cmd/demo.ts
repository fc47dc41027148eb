/**
 * `aos demo`: the offline demo (`npm run demo` in a checkout) from any directory, with the replay
 * tape shipped inside the package: a real kernel runs the whole loop with no model and no network.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../sys/host/paths.js';
import { param } from '../sys/param.js';
import { CliError } from './fail.js';
import { err } from './out.js';
import { runSpawn } from './spawn.js';
import type { VerbSpec } from './verb.js';

/** The tape `npm run demo` plays, found beside the package's package.json, not in the working directory. */
export function demoTape(): string {
  return path.join(packageRoot(), 'examples', 'hello-loop.yaml');
}

async function runDemo(flags: { json?: boolean; verbose?: boolean }): Promise<number> {
  const tape = demoTape();
  if (!existsSync(tape)) throw new CliError(`the demo's tape is missing from this install: ${tape}`);
  const code = await runSpawn('Show the loop', {
    model: `replay:${tape}`,
    name: 'root',
    role: 'assistant',
    priority: String(param.defaultPriority),
    json: flags.json ?? false,
    verbose: flags.verbose ?? false,
  });
  if (!flags.json)
    err(
      'aos: the kernel keeps running: aos ps --all, aos logs 1, aos kernel stop (processes resume at the next start)\n',
    );
  return code;
}

export const demoVerb: VerbSpec = {
  name: 'demo',
  summary: 'run the offline demo: a replayed agent writes files, runs a command, spawns a worker and exits',
  options: [
    { flags: '--json', help: 'print events as JSON lines, as `aos logs --json` does' },
    { flags: '-v, --verbose', help: 'also print prompts, syscall arguments and every state change' },
  ],
  help: `
Needs no model, key or network: the replies come from the tape shipped with aos
(examples/hello-loop.yaml in the package). Exits with the demo process's code.

Example:
  AOS_HOME=/tmp/aos-demo aos demo`,
  run: ({ flags }) => runDemo(flags),
};
