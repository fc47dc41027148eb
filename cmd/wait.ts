/** `aos wait <pid…>`: block until processes end and print each exit code, like `docker wait`. */
import { parseDuration } from '../protocol/duration.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';
import { type Ended, waitEnd } from './wait-ends.js';

/** `--timeout` passed with a process still running (timeout(1)'s code). */
export const TIMED_OUT = 124;

export async function runWait(pidArgs: string[], flags: { timeout?: string; json?: boolean }): Promise<number> {
  const pids = pidArgs.map(toPid);
  let deadline: number | undefined;
  try {
    if (flags.timeout !== undefined) deadline = Date.now() + parseDuration(flags.timeout, '--timeout');
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return withKernel(async (client) => {
    const ends: Ended[] = [];
    for (const pid of pids) {
      const end = await waitEnd(client, pid, deadline);
      ends.push(end);
      if (!flags.json) out(end.timed_out ? `${pid} still ${end.state}\n` : `${end.exit_code ?? ''}\n`);
    }
    if (flags.json)
      out(
        `${JSON.stringify(ends.map((e) => ({ pid: e.pid, state: e.state, exit_code: e.exit_code, reason: e.reason, timed_out: e.timed_out })))}\n`,
      );
    if (ends.some((e) => e.timed_out)) return TIMED_OUT;
    // One process: its own code, as docker wait's caller reads it; several: the first that failed.
    return ends.find((e) => (e.exit_code ?? 0) !== 0)?.exit_code ?? EXIT.ok;
  });
}

export const waitVerb: VerbSpec = {
  name: 'wait',
  summary: "block until processes end, print each one's exit code, and exit with it",
  args: [['<pid...>', 'process ids (an ended one answers at once)']],
  options: [
    {
      flags: '--timeout <duration>',
      help: 'give up after this long (90s, 10m, 2h): print "<pid> still <state>" and exit 124',
    },
    { flags: '--json', help: 'print [{"pid","state","exit_code","reason","timed_out"}]' },
  ],
  help: `
Prints one exit code per process, in the order given. Exits with the process's exit code
(several: the first non-zero one, else 0), 124 when --timeout passed first, 1 for an unknown pid.

Examples:
  aos wait 3 && echo "3 succeeded"
  pid=$(aos spawn "task" --detach); aos wait "$pid"`,
  run: ({ args: [pids], flags }) => runWait(pids as string[], flags as { timeout?: string; json?: boolean }),
};
