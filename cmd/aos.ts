#!/usr/bin/env node
/** The aos CLI: parses argv, loads and runs one verb (verbs.ts), maps failures to the contract's exit codes. */
import { Command } from 'commander';
import { KERNEL_VERSION } from '../kernel/version.js';
import { loadDotEnv } from './dotenv.js';
import { reportError } from './fail.js';
import { verbsFor } from './verbs.js';

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
  .version(KERNEL_VERSION, '-V, --version')
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

// Not top-level awaits: the built CLI is a CommonJS bundle (scripts/bundle-cli.mjs).
async function main(): Promise<void> {
  for (const load of verbsFor(process.argv.slice(2))) (await load())(program, run);
  await program.parseAsync(process.argv);
}

void main();
