#!/usr/bin/env node
/** The aos CLI: parses argv, loads and runs one verb (verbs.ts), maps failures to the contract's exit codes. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../kernel/paths.js';
import { loadDotEnv } from './dotenv.js';
import { reportError } from './fail.js';
import { verbsFor } from './verbs.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function run(work: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await work();
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

loadDotEnv();

// `aos logs 1 | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const program = new Command('aos')
  .description('aos — an operating system for LLM agents')
  .version(version(), '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Exit codes: 0 success, 1 usage error or refused request, 2 kernel unreachable,
attached spawn: the process's own exit code.

Examples:
  aos spawn "task" --model replay:examples/hello-loop.yaml
  aos ps --all
  aos logs -f 1`,
  );

for (const load of verbsFor(process.argv.slice(2))) (await load())(program, run);

await program.parseAsync(process.argv);
