/** A `spawn` request's params as the kernel's spawn options: one mapping, for the handler and for a key another node holds. */
import type { SpawnOptions } from '../../kernel/api.js';
import type { ParsedParamsOf } from '../../protocol/protocol.js';

export function spawnOptionsOf(params: ParsedParamsOf<'spawn'>): SpawnOptions {
  return {
    task: params.task,
    model: params.model,
    ladder: params.ladder,
    name: params.name,
    role: params.role,
    priority: params.priority,
    maxTurns: params.max_turns,
    maxTokens: params.max_tokens,
    maxCost: params.max_cost,
    maxWallS: params.max_wall_s,
    contextTokens: params.context_tokens,
    capabilities: params.capabilities,
    cwd: params.cwd,
    workdir: params.workdir,
    ...(params.attach === undefined ? {} : { attach: params.attach }),
    maxChildren: params.max_children,
    maxLiveDescendants: params.max_live_descendants,
  };
}
