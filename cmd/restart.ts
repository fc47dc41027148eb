/** `aos restart <pid>`: a new process with the task, model, name, role, capabilities and limits of an old one. */
import type { Command } from 'commander';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';

export async function runRestart(pidArg: string, flags: { json?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  return withKernel(async (client) => {
    const { row, task, capabilities, limits } = await client.request('inspect', { pid });
    // Like docker restart: a live one goes first (with its subtree).
    const killed = row.ended_at === null ? (await client.request('kill', { pid, tree: true })).killed : [];
    const next = await client.request('spawn', {
      task,
      model: row.model,
      name: row.name,
      role: row.role,
      priority: row.priority,
      capabilities,
      max_turns: limits.max_turns,
      max_tokens: limits.max_tokens ?? undefined,
      max_cost: limits.max_cost ?? undefined,
      max_wall_s: limits.max_wall_s ?? undefined,
      context_tokens: limits.context_tokens,
    });
    process.stdout.write(flags.json ? `${JSON.stringify({ pid: next.pid, old_pid: pid, killed })}\n` : `${next.pid}\n`);
    return EXIT.ok;
  });
}

export function registerRestart(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('restart')
    .description('start a new process like an old one (task, model, capabilities, limits); a live old one is killed first')
    .argument('<pid>', 'the process to run again (live or ended)')
    .option('--json', 'print {"pid","old_pid","killed"}')
    .addHelpText(
      'after',
      `
Prints the new pid. The new process starts from the task: the old one's history is not replayed.

Examples:
  aos restart 3
  aos logs -f $(aos restart 3)`,
    )
    .action((pid: string, flags: { json?: boolean }) => run(() => runRestart(pid, flags)));
}
