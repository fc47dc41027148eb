/**
 * The kernel as a node of a cluster (AOS_DATABASE_URL; kernel/cluster): joined before the model
 * pool is built (its budgets are the cluster's), told the kernel's load and demand once the kernel
 * is, and left when the kernel stops.
 */
import type { Cluster } from './cluster/cluster.js';
import type { KernelOptions } from './kernel-options.js';
import type { LogLevel } from './proc/api.js';
import type { ProcTable } from './proc/table.js';
import { type ModelPool, providerOf } from './sched/model-pool.js';
import type { Scheduler } from './sched/scheduler.js';
import { isEnded } from '../sys/types.js';
import { adoptProcesses, type RecoveryHost } from './loop/recovery.js';
import type { IdempotencyKeys } from './proc/idempotency.js';
import { visibleText } from '../protocol/visible-text.js';

export type { Cluster };

/**
 * Join the cluster the options name (null: this kernel runs alone), then open the rest with the
 * options a node has; leave again when that fails. A node's trees keep their memories under the
 * cluster's id (its pids are the cluster's): an adopted tree finds them on a shared CHROMA_URL.
 */
export async function withCluster<T>(
  options: KernelOptions,
  open: (cluster: Cluster | null, options: KernelOptions) => Promise<T>,
): Promise<T> {
  // Loaded here, by a kernel that joins a cluster: the cluster's modules and PostgreSQL's client (~80 ms of a start).
  const cluster = options.cluster ? await (await import('./cluster/cluster.js')).Cluster.join(options.cluster) : null;
  const asNode =
    cluster && options.memory
      ? { ...options, memory: { ...options.memory, treePrefix: `aos-${cluster.id}-tree-` } }
      : options;
  try {
    return await open(cluster, asNode);
  } catch (error) {
    await cluster?.close();
    throw error;
  }
}

interface NodeKernel extends RecoveryHost {
  readonly cluster: Cluster | null;
  readonly table: ProcTable;
  readonly scheduler: Scheduler;
  readonly pool: ModelPool;
  readonly keys: IdempotencyKeys;
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
    adopt: (node, schema, check) => adoptTrees(k, node, schema, check),
    log: (level, message) => k.log(level, message),
  });
}

/** Trees whose move failed, until when they are left alone. */
const failedMoves = new Map<string, number>();
const MOVE_RETRY_MS = 30_000;

/**
 * A dead node's trees, one by one: each moved into this kernel's store (a transaction that commits
 * only while this node holds its epoch, the other is still dead and nobody else took the tree),
 * then its processes go on here from where they were. The processes adopted.
 */
async function adoptTrees(
  k: NodeKernel,
  node: string,
  schema: string,
  check: { sql: string; params: unknown[] },
): Promise<number> {
  const moves = k.store.moves;
  if (!moves) return 0;
  let adopted = 0;
  for (const tree of await moves.liveTrees(schema)) {
    if (k.closing) break;
    // A tree whose move failed waits before it is tried again, and holds up no other.
    const key = `${schema}/${tree}`;
    if ((failedMoves.get(key) ?? 0) > Date.now()) continue;
    let taken: Awaited<ReturnType<typeof moves.take>>;
    try {
      // On a connection of its own: this kernel's turns, clients and heartbeat go on while it moves.
      taken = await moves.take(schema, tree, check, { webhooks: (count) => k.webhooks.reserve(count) });
    } catch (error) {
      failedMoves.set(key, Date.now() + MOVE_RETRY_MS);
      k.log(
        'warn',
        `cluster: tree ${tree} of dead node ${visibleText(node)} could not be moved here (${(error as Error).message}); trying again in ${MOVE_RETRY_MS / 1000} s`,
      );
      continue;
    }
    failedMoves.delete(key);
    if (!taken) continue;
    // Moved while this kernel began to stop: its processes are in this store, and go on when it starts again.
    if (k.closing) break;
    // Its idempotency keys came with it: a retry of the request that started it, asked here, finds it.
    await k.keys.load(new Set(taken.pids));
    const procs = await adoptProcesses(
      k,
      taken.pids,
      `adopted from node ${visibleText(node)}, which was declared dead`,
    );
    k.log(
      'warn',
      `cluster: adopted tree ${tree} from dead node ${visibleText(node)}: ${procs.length} live of its ${taken.pids.length} processes`,
    );
    adopted += procs.length;
    // Their turns, and this kernel's other work, go on between trees.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return adopted;
}
