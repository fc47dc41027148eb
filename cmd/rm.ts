/** `aos rm <pid…>` and `aos prune`: ended processes leave the store (their history with them), like docker's. */
import { parseDuration } from '../protocol/duration.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';
import { waitEnd } from './wait-ends.js';

export async function runRm(pidArgs: string[], flags: { json?: boolean; force?: boolean }): Promise<number> {
  const pids = pidArgs.map(toPid);
  return withKernel(async (client) => {
    if (flags.force) {
      // docker rm -f: what still runs is killed (with its descendants) and waited for first.
      for (const pid of pids) {
        const { killed } = await client.request('kill', { pid, tree: true });
        for (const victim of killed) await waitEnd(client, victim);
      }
    }
    const { removed } = await client.request('rm', { pids });
    out(flags.json ? `${JSON.stringify({ removed })}\n` : `removed ${removed.join(' ')}\n`);
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
    out(
      flags.json
        ? `${JSON.stringify({ removed })}\n`
        : `pruned ${removed.length} ended process${removed.length === 1 ? '' : 'es'}\n`,
    );
    return EXIT.ok;
  });
}

export const rmVerb: VerbSpec = {
  name: 'rm',
  summary: 'remove ended processes (and their descendants) with their history',
  args: [['<pid...>', 'process ids; each must have ended, with all its descendants']],
  options: [
    { flags: '-f, --force', help: 'kill what still runs (with its descendants) and wait for it, then remove' },
    { flags: '--json', help: 'print {"removed":[pids]}' },
  ],
  help: `
A running process is refused (exit 1): kill it first, or use -f. Removed processes disappear from ps --all and logs.

Examples:
  aos rm 3
  aos rm $(aos ps --all --json | jq -r '.[] | select(.state == "exited") | .pid')`,
  run: ({ args: [pids], flags }) => runRm(pids as string[], flags as { json?: boolean; force?: boolean }),
};

export const pruneVerb: VerbSpec = {
  name: 'prune',
  summary: 'remove every ended process (optionally only older ones) with its history',
  options: [
    { flags: '--older-than <duration>', help: 'only processes that ended longer ago than this: 90s, 30m, 12h, 7d, 2w' },
    { flags: '--json', help: 'print {"removed":[pids]}, as rm does' },
  ],
  help: `
Keeps processes a live process still needs (its ancestors, and exits a live parent has not collected with WAIT).
Set AOS_RETENTION (e.g. 30d) to have the kernel prune on its own, at start and hourly.

Examples:
  aos prune
  aos prune --older-than 7d`,
  run: ({ flags }) => runPrune(flags as { olderThan?: string; json?: boolean }),
};
