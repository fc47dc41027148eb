/**
 * Restarting a process, as `aos restart` and `aos mcp`'s restart tool both do it over the socket: a
 * new process with the task, model, name, role, priority, capabilities, workdir and limits of an old
 * one; a live old one (with its subtree) is killed first, like docker restart. The new one starts
 * from the task: the old one's history is not replayed.
 */
import type { KernelClient } from './client.js';

export interface Restarted {
  pid: number;
  old_pid: number;
  killed: number[];
}

export async function restartProcess(client: KernelClient, pid: number): Promise<Restarted> {
  const { row, task, capabilities, limits, workdir } = await client.request('inspect', { pid });
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
  return { pid: next.pid, old_pid: pid, killed };
}
