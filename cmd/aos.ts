#!/usr/bin/env node
/** The aos CLI: parses argv, runs one verb, maps failures to the contract's exit codes. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../kernel/paths.js';
import { reportError } from './fail.js';
import { registerSpawn } from './spawn.js';

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

const program = new Command('aos')
  .description('aos — an operating system for LLM agents')
  .version(version(), '-V, --version')
  .showHelpAfterError('(run with --help for usage)');

registerSpawn(program, run);

await program.parseAsync(process.argv);
