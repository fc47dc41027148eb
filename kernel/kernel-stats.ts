/** The kernel's totals for `aos kernel status`, `aos top` and the stats pushes. */
import { getHeapStatistics } from 'node:v8';
import type { ProcTable } from './proc/table.js';
import type { ModelPool } from './sched/model-pool.js';
import type { Scheduler } from './sched/scheduler.js';
import { PROC_STATES, type ProcState } from '../sys/types.js';
import { KERNEL_VERSION } from '../sys/version.js';
import { type KernelStats, maxInferences } from '../protocol/views.js';
import type { ClusterView } from '../protocol/cluster-view.js';

export interface StatsSource {
  readonly table: ProcTable;
  readonly scheduler: Scheduler;
  readonly pool: ModelPool;
  readonly startedAt: number;
  readonly gatewayUrl: string | null;
  readonly webhookBase: string | null;
  readonly cluster: { status(): ClusterView } | null;
}

export function kernelStats(k: StatsSource): KernelStats {
  const processes = Object.fromEntries(PROC_STATES.map((s) => [s, 0])) as Record<ProcState, number>;
  const a = k.table.archived;
  processes.exited = a.exited;
  processes.killed = a.killed;
  let promptTokens = a.promptTokens;
  let outputTokens = a.outputTokens;
  let cost = a.cost;
  for (const { pcb } of k.table.procs()) {
    processes[pcb.state]++;
    promptTokens += pcb.counters.promptTokens;
    outputTokens += pcb.counters.outputTokens;
    cost += pcb.counters.cost;
  }
  const queued = k.scheduler.queuedByProvider();
  const providers = k.pool.providers().map((p) => ({ ...p, queued: queued.get(p.provider) ?? 0 }));
  return {
    pid: process.pid,
    uptime_s: Math.round((Date.now() - k.startedAt) / 1000),
    version: KERNEL_VERSION,
    processes,
    active_inferences: k.scheduler.activeInferences,
    max_inferences: maxInferences(providers),
    queue_depth: k.scheduler.queueDepth,
    prompt_tokens: promptTokens,
    output_tokens: outputTokens,
    cost,
    // Not process.memoryUsage(): it walks every page and took up to 7-20 ms mid-burst (top asks 4 times a second).
    rss_bytes: process.memoryUsage.rss(),
    heap_used_bytes: getHeapStatistics().used_heap_size,
    rate_limits: k.pool.headroom(),
    providers,
    webhook_url: k.gatewayUrl,
    webhook_public_url: k.webhookBase !== k.gatewayUrl ? k.webhookBase : null,
    cluster: k.cluster?.status() ?? null,
  };
}
