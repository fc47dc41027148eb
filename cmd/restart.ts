/** `aos restart <pid>`: a new process with the task, model, name, role, capabilities and limits of an old one. */
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

export async function runRestart(pidArg: string, flags: { json?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  return withKernel(async (client) => {
    const { row, task, capabilities, limits, workdir } = await client.request('inspect', { pid });
    // Like docker restart: a live one goes first (with its subtree).
    const killed = row.ended_at === null ? (await client.request('kill', { pid, tree: true })).killed : [];
    const next = await client.request('spawn', {
      task,
      model: row.model,
      name: row.name,
      role: row.role,
      priority: row.priority,
      capabilities,
      ...(workdir && workdir !== '/' ? { workdir } : {}),
      max_turns: limits.max_turns,
      max_tokens: limits.max_tokens ?? undefined,
      max_cost: limits.max_cost ?? undefined,
      max_wall_s: limits.max_wall_s ?? undefined,
      context_tokens: limits.context_tokens,
    });
    out(flags.json ? `${JSON.stringify({ pid: next.pid, old_pid: pid, killed })}\n` : `${next.pid}\n`);
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
