/** `aos restart <pid>`: a new process with the task, model, name, role, capabilities and limits of an old one. */
import { restartProcess } from '../client/restart.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

export async function runRestart(pidArg: string, flags: { json?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  return withKernel(async (client) => {
    // Like docker restart: a live one goes first (with its subtree); client/restart.ts, shared with aos mcp.
    const restarted = await restartProcess(client, pid);
    out(flags.json ? `${JSON.stringify(restarted)}\n` : `${restarted.pid}\n`);
    return EXIT.ok;
  });
}

export const restartVerb: VerbSpec = {
  name: 'restart',
  summary: 'start a new process like an old one (task, model, capabilities, limits); a live old one is killed first',
  args: [['<pid>', 'the process to run again (live or ended)']],
  options: [{ flags: '--json', help: 'print {"pid","old_pid","killed"}' }],
  help: `
Prints the new pid. The new process starts from the task: the old one's history is not replayed.

Examples:
  aos restart 3
  aos logs -f $(aos restart 3)`,
  run: ({ args: [pid], flags }) => runRestart(pid as string, flags as { json?: boolean }),
};
