/** `aos stop <pid>`: graceful — the process hears `[EVENT::STOP]` and has a deadline to exit, then is killed. */
import type { KernelClient } from '../client/client.js';
import type { EndPayload } from '../protocol/protocol.js';
import { describeEnd } from '../protocol/status.js';
import { toPid, toPositive } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out, err } from './out.js';
import type { VerbSpec } from './verb.js';

/** The default deadline, docker stop's. */
const DEFAULT_TIMEOUT_S = 10;

/** Follow the process until it ends (the kernel kills it at the deadline, so this ends too). */
async function waitEnd(client: KernelClient, pid: number): Promise<EndPayload | null> {
  const { pushes } = await client.stream('logs', { pid, tail: 0, follow: true, tree: false });
  for await (const push of pushes) if (push.event === 'end') return push.payload;
  return null;
}

export async function runStop(pidArg: string, flags: { time: string; json?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  const seconds = toPositive(flags.time, '--time');
  return withKernel(async (client) => {
    const { stopping } = await client.request('stop', { pid, timeout_s: seconds });
    const end = stopping ? await waitEnd(client, pid) : null;
    if (flags.json) out(`${JSON.stringify({ pid, stopped: stopping, end })}\n`);
    else if (end) out(`${pid} ${describeEnd(end.state, end.code, end.reason)}\n`);
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
    { flags: '--json', help: 'print {"pid","stopped","end":{"state","code","reason"}}' },
  ],
  help: `
Waits until the process has ended, and prints how: "3 exited 0" when it exited in time,
"3 killed 137: stopped: did not exit within 10 s" when it was killed. Its children are left
to it (kill ends a whole tree at once).

Examples:
  aos stop 3
  aos stop 3 --time 30`,
  run: ({ args: [pid], flags }) => runStop(pid as string, (flags as { time: string; json?: boolean })),
};
