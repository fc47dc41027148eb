/**
 * How a kernel stops: shutdown ends every process first (the in-process CLI), close leaves them
 * to resume on the next start (the daemon). Both release the drivers, the gateway and the store.
 */
import { closeDrivers, type OpenedDrivers } from '../drivers/index.js';
import { interruption } from '../sys/errno.js';
import type { WebhookListener, Webhooks } from './ipc/webhooks.js';
import { RUNNING_KEY } from './loop/recovery.js';
import type { LogLevel, ProcCore } from './proc/api.js';
import { requestKill } from './proc/kill.js';
import type { ProcTable } from './proc/table.js';
import { isEnded, type Pcb } from '../sys/types.js';
import type { Scheduler } from './sched/scheduler.js';
import type { AllProcesses, KernelStore } from './store/api.js';

export interface StopHost extends ProcCore {
  closing: boolean;
  readonly table: ProcTable;
  readonly webhooks: Webhooks;
  readonly gateway: WebhookListener | null;
  readonly opened: OpenedDrivers;
  readonly psAll: AllProcesses;
  readonly store: KernelStore;
  readonly scheduler: Scheduler;
  stopRetention(): void;
  /** The units' triggers: nothing more is started by them. */
  readonly units: { close(): void };
  readonly budgets: { close(): void };
  /** The channels' adapters: stopped, their sandboxes killed. */
  readonly channels: { close(): Promise<void> };
  /** The cluster: allowance given back, the node marked `left`. */
  readonly cluster: { close(): Promise<void> } | null;
  waitExit(pid: number): Promise<Pcb>;
  log(level: LogLevel, message: string): void;
}

async function release(k: StopHost): Promise<void> {
  try {
    await closeDrivers(k.opened);
    await k.psAll.close();
  } finally {
    await k.cluster?.close();
  }
}

export async function shutdownKernel(k: StopHost): Promise<void> {
  // Closed already: its processes stay as they were, for the next start (it cannot end them now).
  if (k.closing) return;
  k.units.close();
  k.budgets.close();
  await k.channels.close();
  const live = [...k.table.procs()].filter((p) => !isEnded(p.pcb.state));
  for (const proc of live) if (!proc.killRequested) requestKill(k, proc, 'kernel shutting down');
  await Promise.all(live.map((p) => k.waitExit(p.pid)));
  k.webhooks.closeAll();
  await k.gateway?.close();
  // The store is closed, its last writes committed, before the node leaves its cluster (release):
  // a node's store commits only while the node is live, so the kills committed after the leave were
  // lost, and another node then adopted the processes this shutdown had ended.
  k.store.setMeta(RUNNING_KEY, '0');
  await k.store.stopCheckpoints();
  k.store.close();
  await release(k);
}

export async function closeKernel(k: StopHost, options: { crashed?: boolean; backup?: boolean }): Promise<void> {
  if (k.closing) return;
  k.closing = true;
  k.units.close();
  k.budgets.close();
  const channelsClosed = k.channels.close();
  k.stopRetention();
  k.scheduler.stop();
  k.webhooks.closeAll();
  const gatewayClosed = k.gateway?.close();
  // After a crash the store keeps saying a kernel was running: the next start counts the crash.
  if (!options.crashed) k.store.setMeta(RUNNING_KEY, '0');
  k.store.flush();
  if (options.backup && k.store.healthy) {
    await k.store
      .backup()
      .catch((error: unknown) => k.log('warn', `no backup of the store: ${(error as Error).message}`));
  }
  await k.store.stopCheckpoints();
  k.store.close();
  for (const proc of k.table.procs()) {
    proc.clearTimers();
    if (!proc.abort.signal.aborted) proc.abort.abort(interruption('kernel stopping'));
  }
  await gatewayClosed;
  await channelsClosed;
  await release(k);
  await new Promise((resolve) => setImmediate(resolve));
}
