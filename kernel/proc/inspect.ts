/** One process in full for `aos inspect` and `aos restart`: live from the table, ended from the store. */
import { AosError } from '../../sys/errno.js';
import type { ProcDetail } from '../../protocol/detail.js';
import { describeStatus } from '../../protocol/status.js';
import { toProcRow } from '../../protocol/views.js';
import type { ProcTable } from './table.js';
import { liveDescendants } from './fan-out.js';
import { param } from '../../sys/param.js';

export async function inspectProcess(table: ProcTable, pid: number): Promise<ProcDetail> {
  const pcb = await table.readPcb(pid);
  if (!pcb) throw new AosError('ESRCH', `no such process ${pid}`);
  const row = toProcRow(pcb);
  const children = (await table.tree(pid, { tree: true }))
    .filter((r) => r.ppid === pid)
    .map((r) => ({ pid: r.pid, name: r.name, state: r.state, status: describeStatus(r) }));
  const l = pcb.limits;
  const live = table.get(pid);
  return {
    row,
    status: describeStatus(row),
    task: pcb.task,
    capabilities: [...pcb.capabilities],
    workdir: pcb.cwd,
    cached_tokens: pcb.counters.cachedTokens,
    limits: {
      max_turns: l.maxTurns,
      max_tokens: l.maxTokens,
      max_cost: l.maxCost,
      max_wall_s: l.maxWallS,
      context_tokens: l.contextTokens,
      max_children: l.maxChildren ?? param.maxChildren,
      max_live_descendants: l.maxLiveDescendants ?? null,
    },
    live_descendants: live ? liveDescendants({ table }, live) : 0,
    children,
  };
}
