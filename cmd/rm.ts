/** `aos rm <pid…>` and `aos prune`: ended processes leave the store (their history with them), like docker's. */
import type { Command } from 'commander';
import type { Run } from './verb.js';
import { parseDuration } from '../kernel/wire/duration.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';

export async function runRm(pidArgs: string[], flags: { json?: boolean }): Promise<number> {
  const pids = pidArgs.map(toPid);
  return withKernel(async (client) => {
    const { removed } = await client.request('rm', { pids });
    process.stdout.write(flags.json ? `${JSON.stringify({ removed })}\n` : `removed ${removed.join(' ')}\n`);
    return EXIT.ok;
  });
}

export async function runPrune(flags: { olderThan?: string; json?: boolean }): Promise<number> {
  let olderThanS = 0;
  try {
    if (flags.olderThan !== undefined) olderThanS = parseDuration(flags.olderThan, '--older-than') / 1000;
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return withKernel(async (client) => {
    const { removed } = await client.request('prune', { older_than_s: olderThanS });
    process.stdout.write(flags.json ? `${JSON.stringify({ removed })}\n` : `pruned ${removed} ended process${removed === 1 ? '' : 'es'}\n`);
    return EXIT.ok;
  });
}

export function registerRm(program: Command, run: Run): void {
  program
    .command('rm')
    .description('remove ended processes (and their descendants) with their history')
    .argument('<pid...>', 'process ids; each must have ended, with all its descendants')
    .option('--json', 'print {"removed":[pids]}')
    .addHelpText(
      'after',
      `
A running process is refused (exit 1): kill it first. Removed processes disappear from ps --all and logs.

Examples:
  aos rm 3
  aos rm $(aos ps --all --json | jq -r '.[] | select(.state == "exited") | .pid')`,
    )
    .action((pids: string[], flags: { json?: boolean }) => run(() => runRm(pids, flags)));
}

export function registerPrune(program: Command, run: Run): void {
  program
    .command('prune')
    .description('remove every ended process (optionally only older ones) with its history')
    .option('--older-than <duration>', 'only processes that ended longer ago than this: 90s, 30m, 12h, 7d, 2w')
    .option('--json', 'print {"removed":N}')
    .addHelpText(
      'after',
      `
Keeps processes a live process still needs (its ancestors, and exits a live parent has not collected with WAIT).
Set AOS_RETENTION (e.g. 30d) to have the kernel prune on its own, at start and hourly.

Examples:
  aos prune
  aos prune --older-than 7d`,
    )
    .action((flags: { olderThan?: string; json?: boolean }) => run(() => runPrune(flags)));
}
