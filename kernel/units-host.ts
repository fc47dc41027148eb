/** What the units need of the kernel (kernel/units/runs.ts UnitsHost), made from the kernel's parts. */
import type { UnitsHost } from './units/runs.js';
import { CapabilitySet } from '../sys/capabilities.js';
import { isEnded, type Pcb } from '../sys/types.js';
import type { EventBus } from '../protocol/events.js';
import type { AuditLog, JournalLog, KernelStore } from './store/api.js';
import type { Webhooks } from './ipc/webhooks.js';
import type { ProcTable } from './proc/table.js';
import type { SpawnOptions } from './proc/spawn-options.js';
import type { LogLevel } from './proc/api.js';
import type { IdempotencyKeys } from './proc/idempotency.js';
import type { RemoteNodes } from './cluster/cluster.js';
import type { SafetyPolicy } from './safety/policy-rules.js';
import type { CostPolicy } from './cost/cost-policy.js';
import { loopPolicyOf } from './units/trigger-graph.js';
import type { Safety } from './safety/safety.js';

/** The kernel as the units see it: spawn, kill, the table, the policy's root and its audit trail. */
export interface UnitsSource {
  readonly store: KernelStore;
  readonly events: EventBus;
  readonly rootCaps: CapabilitySet;
  readonly closing: boolean;
  readonly cwd: string;
  readonly opened: { readonly fs: { readonly root: string } };
  readonly webhooks: Webhooks;
  readonly safety: { readonly journal: JournalLog; readonly audit: AuditLog; readonly policy: SafetyPolicy } & Pick<
    Safety,
    'outside' | 'tainted' | 'ledger'
  >;
  readonly cost: CostPolicy;
  readonly table: ProcTable;
  readonly keys: IdempotencyKeys;
  readonly skills: { get(name: string): unknown };
  readonly cluster?: { readonly remote: Pick<RemoteNodes, 'states'> } | null;
  spawn(options: SpawnOptions): Promise<Pcb>;
  kill(pid: number, options: { tree?: boolean }): number[];
  log(level: LogLevel, message: string): void;
}

export function unitsHost(k: UnitsSource): UnitsHost {
  const elsewhere = new Set<number>();
  const remote = k.cluster?.remote;
  return {
    store: k.store,
    events: k.events,
    get rootCaps() {
      return k.rootCaps;
    },
    get closing() {
      return k.closing;
    },
    cwd: k.cwd,
    workspaceRoot: k.opened.fs.root,
    webhooks: k.webhooks,
    get keys() {
      return k.keys;
    },
    wroteBy: (pids, since) =>
      new Set(
        k.safety.journal
          .entries(pids)
          .filter((e) => e.ts >= since)
          .map((e) => e.path),
      ),
    treeOf: (pid) => {
      k.store.flush();
      return k.store.processes.subtreeNow(pid);
    },
    parentOf: (pid) => k.table.pcb(pid)?.ppid || null,
    mayWrite: (pid, path) => {
      const pcb = k.table.pcb(pid);
      return pcb !== undefined && new CapabilitySet(pcb.capabilities).allows(`fs.write:${path}`);
    },
    get journalsExec() {
      return k.safety.policy.journalExec;
    },
    get loopPolicy() {
      return loopPolicyOf(k.rootCaps, k.cost.budgets, k.safety.policy.rules);
    },
    spawn: (options) => k.spawn(options),
    kill: (pid, options) => k.kill(pid, options),
    isLive: (pid) => {
      const proc = k.table.get(pid);
      return (proc !== undefined && !isEnded(proc.pcb.state)) || elsewhere.has(pid);
    },
    ...(remote ? { elsewhere, statesElsewhere: (pids: readonly number[]) => remote.states(pids) } : {}),
    endOf: (pid) => {
      const pcb = k.table.pcb(pid);
      return pcb && (pcb.state === 'exited' || pcb.state === 'killed')
        ? { state: pcb.state, code: pcb.exitCode, reason: pcb.exitReason }
        : null;
    },
    endsOf: async (pids) => {
      const ends = new Map<number, ReturnType<UnitsHost['endOf']>>();
      for (const pid of new Set(pids)) {
        const pcb = await k.table.readPcb(pid);
        ends.set(
          pid,
          pcb && (pcb.state === 'exited' || pcb.state === 'killed')
            ? { state: pcb.state, code: pcb.exitCode, reason: pcb.exitReason }
            : null,
        );
      }
      return ends;
    },
    startTainted: (pid, tag, source, detail, excerpt) => {
      k.table.get(pid)?.taint.adopt(tag);
      k.safety.tainted(pid, source, detail, excerpt, true);
    },
    fileTainted: (path) => {
      const by = k.safety.ledger.fileTaint(path);
      return by ? `${path} (written by process ${by.pid} while tainted)` : null;
    },
    audit: (input) => k.safety.audit.record(input),
    hasSkill: (name) => k.skills.get(name) !== undefined,
    log: (level, message) => k.log(level, message),
  };
}
