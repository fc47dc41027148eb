/**
 * The kernel as a node of a cluster (AOS_DATABASE_URL; kernel/cluster): joined before the model
 * pool is built (its budgets are the cluster's), told the kernel's load and demand once the kernel
 * is, and left when the kernel stops.
 */
import { Cluster } from './cluster/cluster.js';
import type { KernelOptions } from './kernel-options.js';
import type { LogLevel } from './proc/api.js';
import type { ProcTable } from './proc/table.js';
import { type ModelPool, providerOf } from './sched/model-pool.js';
import type { Scheduler } from './sched/scheduler.js';
import { isEnded } from '../sys/types.js';

export type { Cluster };

/** Join the cluster the options name (null: this kernel runs alone), then open the rest; leave again when that fails. */
export async function withCluster<T>(options: KernelOptions, open: (cluster: Cluster | null) => Promise<T>): Promise<T> {
  const cluster = options.cluster ? await Cluster.join(options.cluster) : null;
  try {
    return await open(cluster);
  } catch (error) {
    await cluster?.close();
    throw error;
  }
}

interface NodeKernel {
  readonly cluster: Cluster | null;
  readonly table: ProcTable;
  readonly scheduler: Scheduler;
  readonly pool: ModelPool;
  log(level: LogLevel, message: string): void;
}

export function attachCluster(k: NodeKernel): void {
  const cluster = k.cluster;
  if (!cluster) return;
  k.pool.onOverload = (provider) => cluster.limits.overload(provider);
  cluster.attach({
    load: () => ({
      processes: [...k.table.procs()].filter((p) => !isEnded(p.pcb.state)).length,
      in_flight: k.scheduler.activeInferences,
      queued: k.scheduler.queueDepth,
    }),
    demand: (lane) => k.scheduler.queuedByProvider().get(providerOf(lane)) ?? 0,
    capacity: () => k.scheduler.pump(),
    overloaded: (provider) => k.pool.overloadedElsewhere(provider),
    log: (level, message) => k.log(level, message),
  });
}

