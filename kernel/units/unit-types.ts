/** What the units are given by the kernel (UnitsHost), what a firing carries, and a unit as the kernel holds it. */
import type { Pcb } from '../../sys/types.js';
import type { EventBus } from '../../protocol/events.js';
import type { AuditInput, KernelStore, UnitRecord, UnitRunOutcome } from '../store/api.js';
import type { SpawnOptions } from '../proc/spawn-options.js';
import type { CapabilitySet } from '../../sys/capabilities.js';
import type { Unit } from './spec.js';
import type { TriggerFields } from './template.js';
import type { TriggerWatch } from './watch.js';
import type { Webhooks } from '../ipc/webhooks.js';
import type { IdempotencyKeys } from '../proc/idempotency.js';
import type { Chain } from './chains.js';
import type { LoopPolicy } from './trigger-graph.js';

export interface UnitsHost {
  readonly store: KernelStore;
  readonly events: EventBus;
  readonly rootCaps: CapabilitySet;
  readonly closing: boolean;
  readonly cwd: string;
  spawn(options: SpawnOptions): Promise<Pcb>;
  kill(pid: number, options: { tree?: boolean }): number[];
  isLive(pid: number): boolean;
  /**
   * A node of a cluster: these pids' states on other nodes (a run of this node's unit adopted
   * elsewhere while this node was dead), those found. Absent alone.
   */
  statesElsewhere?(pids: readonly number[]): Promise<Map<number, { state: string; code: number | null }>>;
  /** Runs of this node's units that live on another node: counted live (isLive) until they end there. */
  readonly elsewhere?: Set<number>;
  /** The workspace's directory on the host (watch triggers). */
  readonly workspaceRoot: string;
  /** The gateway's routes for webhook triggers, and the requests waiting for a run's reply. */
  readonly webhooks: Pick<Webhooks, 'addRoute' | 'removeRoute' | 'urlOf' | 'awaitReply'>;
  /** Event ids that started runs, per unit (scope `unit:<name>`): the kernel's idempotency keys. */
  readonly keys: Pick<IdempotencyKeys, 'seen' | 'remember' | 'forget'>;
  /** The workspace paths these processes wrote since `since` (ms), as the rollback journal has them. */
  wroteBy(pids: readonly number[], since: number): Set<string>;
  /** A process and its descendants at any depth, ended ones too (the store's ppid index). */
  treeOf(pid: number): number[];
  /** Its parent's pid; null for a root or a process the kernel does not know. */
  parentOf(pid: number): number | null;
  /** What a process may write: whether it holds fs.write for this workspace path (false when unknown). */
  mayWrite(pid: number, path: string): boolean;
  /** Whether the policy journals what an EXEC_CMD changed (journal.exec): when not, a run's commands are known by when they ran. */
  readonly journalsExec: boolean;
  /** What the trigger graph asks of the policy in force: its root's grants, its budgets, its `ask` rules (trigger-graph.ts). */
  readonly loopPolicy: LoopPolicy;
  /** How an ended process ended (its exit reason too); null while it lives (or when it is unknown). */
  endOf(pid: number): { state: 'exited' | 'killed'; code: number | null; reason: string | null } | null;
  /** `endOf` awaited, for each of these pids: a process the table no longer holds is read without holding the kernel's thread. */
  endsOf(pids: readonly number[]): Promise<Map<number, ReturnType<UnitsHost['endOf']>>>;
  /**
   * A run started by outside content (a webhook body, a channel message: issue 49): it takes `tag`
   * (its trigger event was framed with it) and starts tainted by `source` for its life (its task
   * holds the content). Absent: nothing is tracked.
   */
  startTainted?(
    pid: number,
    tag: string,
    source: 'webhook' | 'channel' | 'file',
    detail: string,
    excerpt: string,
  ): void;
  /** Why a changed path is outside content (a tainted process wrote it: the taint ledger), or null. */
  fileTainted?(path: string): string | null;
  /** Whether a skill of this name is installed (a unit's `skills:` must name installed ones). */
  hasSkill?(name: string): boolean;
  audit(input: AuditInput): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** What fired, and what the run is told. */
export interface Firing {
  trigger: string;
  scheduledFor: number | null;
  catchUp: boolean;
  fields: TriggerFields;
  /** A restart of a failed run (its count), not a trigger's firing: keeps the restart count. */
  restart?: number;
  /** What happened, for an `on` trigger: `"event"` in the run's [EVENT::TRIGGER]. */
  event?: Record<string, string | number>;
  /** Given the run's pid before it can run: what else its [EVENT::TRIGGER] says (a webhook's request id, bound to it). */
  bind?: (pid: number) => Record<string, unknown>;
  /** The event's id (event-id.ts): a firing for an id that already started a run starts none. */
  eventId?: string;
  /** Threads the run gets attached besides the unit's own (a channel's conversation). */
  attach?: readonly string[];
  /** The runs before it whose doing fired it (chains.ts): none for a schedule, a request, a person. */
  chain?: Chain;
}

/** A unit as the kernel holds it: its declaration, its stored row, and its runs now. */
export interface Armed {
  record: UnitRecord;
  unit: Unit;
  live: Set<number>;
  queue: Firing[];
  /** Restarts since the last firing of a trigger. */
  restarts: number;
  cancelRestart: (() => void) | null;
  /** Runs this kernel killed itself (replace): their end is no failure to restart. */
  replaced: Set<number>;
  /** When its runs started in the last minute (the cap). */
  recent: number[];
  /** Its firings, one after another: a policy decides on what the one before it started. */
  chain?: Promise<unknown>;
  /** Its watch triggers' watchers, while it is enabled. */
  watches: TriggerWatch[];
  /** Its runs that ended lately, and when (a watch tells their writes from others'). */
  ended: Array<{ pid: number; at: number }>;
  /** Its webhook triggers' routes: the token of each path. */
  hooks: Map<string, string>;
  /** Its runs that are another process's children (SPAWN_AGENT): no restart, no queue of theirs. */
  spawned: Set<number>;
}

export interface FireResult {
  outcome: UnitRunOutcome;
  pid: number | null;
  reason: string | null;
  /** Skipped as a duplicate: `pid` is the run its event id started before. */
  deduped?: boolean;
}
