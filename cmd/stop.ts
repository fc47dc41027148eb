/** `aos stop <pid>`: graceful — the process hears `[EVENT::STOP]` and has a deadline to exit, then is killed. */
import type { EndPayload } from '../protocol/protocol.js';
import { describeEnd } from '../protocol/status.js';
import { toPid, toPositive } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out, err } from './out.js';
import type { VerbSpec } from './verb.js';
import { type Ended, waitEnd } from './wait-ends.js';

/** The default deadline, docker stop's. */
const DEFAULT_TIMEOUT_S = 10;

export async function runStop(
  pidArg: string,
  flags: { time: string; json?: boolean; tree?: boolean },
): Promise<number> {
  const pid = toPid(pidArg);
  const seconds = toPositive(flags.time, '--time');
  return withKernel(async (client) => {
    const { pids } = await client.request('stop', { pid, timeout_s: seconds, tree: flags.tree !== false });
    // Every process told ends by the deadline (the kernel kills the rest then): wait for each, root first.
    const ends: Ended[] = [];
    for (const p of pids) ends.push(await waitEnd(client, p));
    const end = (e: Ended): EndPayload => ({
      pid: e.pid,
      state: e.state as EndPayload['state'],
      code: e.exit_code,
      reason: e.reason,
    });
    const [root, ...children] = ends;
    if (flags.json)
      out(
        `${JSON.stringify({ pid, stopped: pids.length > 0, end: root ? end(root) : null, children: children.map(end) })}\n`,
      );
    else if (root) out(ends.map((e) => `${e.pid} ${describeEnd(e.state, e.exit_code, e.reason)}\n`).join(''));
    else err(`aos: process ${pid} has already ended; nothing to stop\n`);
    return EXIT.ok;
  });
}

export const stopVerb: VerbSpec = {
  name: 'stop',
  summary: 'ask a process to exit ([EVENT::STOP]); kill it if it has not exited by the deadline',
  args: [['<pid>', 'process id']],
  options: [
    { flags: '-t, --time <seconds>', help: 'the deadline', default: String(DEFAULT_TIMEOUT_S) },
    { flags: '--no-tree', help: 'stop this process only, leaving its children running' },
    { flags: '--json', help: 'print {"pid","stopped","end":{"pid","state","code","reason"},"children":[...]}' },
  ],
  help: `
Its descendants are stopped with it (each hears [EVENT::STOP]; those still running at the
deadline are killed, children started meanwhile too), unless --no-tree. Waits until every
one has ended, and prints how, the process first: "3 exited 0" when it exited in time,
"3 killed 137: stopped: did not exit within 10 s" when it was killed.

Examples:
  aos stop 3
  aos stop 3 --time 30`,
  run: ({ args: [pid], flags }) => runStop(pid as string, flags as { time: string; json?: boolean; tree?: boolean }),
};
