/**
 * The kernel's door: what the front doors (daemon/: the socket's method tables, the web view, the
 * webhook gateway, the cluster's requests) ask of a running kernel, and the one file of the kernel
 * they import (.dependency-cruiser.cjs names the two exceptions: the daemon's composition opens the
 * kernel it serves; `aos policy check` reads a policy without loading it). `Kernel` implements it
 * (kernel.ts), so the type checker holds the two together.
 *
 * An area a service of the kernel already answers — units, channels, threads, budgets, approvals
 * and the audit trail, the webhook routes, the cluster — is that service, typed here as the part a
 * front door may call: a verb added to a service is not forwarded a second time. So is the store:
 * the commit barrier and the reads that answer clients (StoreView), nothing else of it. The rest
 * are the kernel's own verbs (spawn, kill, send, wait, ps, stats) and, in `admin` (admin.ts), the
 * verbs only a person asks (stop, inspect, rm, prune, diff, rollback, record, eval, up/down). What a
 * client is answered is typed by protocol/ where it has a view (ProcRow, ProcDetail, KernelStats).
 * Last, the few functions a front door calls without a kernel in hand.
 */
import type { ModelRegistry } from '../drivers/llm/registry.js';
import type { McpServerConfig } from '../drivers/mcp/types.js';
import type { ProcDetail } from '../protocol/detail.js';
import type { LiveText } from '../protocol/live-text.js';
import type { RawJson } from '../protocol/raw-json.js';
import type { KernelStats, ProcRow } from '../protocol/views.js';
import type { Pcb } from '../sys/types.js';
import type { Cluster } from './cluster/cluster.js';
import type { Budgets } from './cost/budgets.js';
import type { CostPolicy } from './cost/cost-policy.js';
import type { ForkAnswer, ForkRequest } from './fork.js';
import type { ChannelsApi } from './ipc/channel-types.js';
import type { Threads } from './ipc/threads.js';
import type { SkillShelf } from '../drivers/skills/shelf.js';
import type { Webhooks } from './ipc/webhooks.js';
import type { LogLevel } from './proc/api.js';
import type { DiskGuard } from './proc/disk-guard.js';
import type { IdempotencyKeys } from './proc/idempotency.js';
import type { SpawnOptions } from './proc/spawn-options.js';
import type { Safety } from './safety/safety.js';
import type { SafetyPolicy } from './safety/policy-rules.js';
import type { FileChange } from './safety/rollback.js';
import type { AllProcesses, EventLog, ProcessRows, SpendRows, StoredEvent } from './store/api.js';
import type { EvalRun } from './tapes/eval.js';
import type { Recording } from './tapes/record.js';
import type { SetPlan } from './units/unit-set.js';
import type { Units } from './units/units.js';
import type { AwaitedUnitReads } from './units/unit-reads.js';

/** Processes: what spawn, ps, kill, send, wait, fork and logs ask (kernel.ts's own verbs). */
export interface ProcessesApi {
  spawn(options: SpawnOptions): Promise<Pcb>;
  /** A root spawn with an idempotency key: the same key and arguments answer with the first process. */
  spawnKeyed(key: string, options: SpawnOptions): Promise<{ pcb: Pcb; replayed: boolean }>;
  /** `aos fork`: a new root process from another's turn. */
  fork(request: ForkRequest): Promise<ForkAnswer>;
  kill(pid: number, options?: { tree?: boolean }): number[];
  send(pid: number, text: string): void;
  /** Resolves with the PCB when the process has ended. */
  waitExit(pid: number): Promise<Pcb>;
  /** A live process's PCB, or an ended one's the store still has. */
  pcb(pid: number): Pcb | undefined;
  endedPcb(pid: number): Pcb | undefined;
  /** Live rows from memory; with `all` or `last`, stored ones too (awaited from the store). */
  processes(options?: { all?: boolean; last?: number }): Promise<ProcRow[]>;
  /** The live processes' rows as JSON made already (`ps`). */
  liveProcessesJson(): RawJson<ProcRow[]>;
  /** `ps --all`, off the kernel's thread when the store is large. */
  readonly psAll: Pick<AllProcesses, 'json'>;
  tree(pid: number, options?: { tree?: boolean }): Promise<ProcRow[]>;
  /** A full disk refuses new work (ENOSPC, naming the verb). */
  readonly disk: Pick<DiskGuard, 'refuseNewWork'>;
  /** The keys keyed spawns answered with (a cluster asks before it places one). */
  readonly keys: Pick<IdempotencyKeys, 'seen'>;
  /** Text with the policy's secrets masked, as a process's task is (a keyed spawn's arguments are compared so). */
  maskPrompt(text: string): string;
  stats(): KernelStats;
}

/** The verbs only a person asks, from outside (admin.ts): aos stop, inspect, rm, prune, diff, rollback, record, eval, up and down. */
export interface AdminApi {
  /** Told to exit within `seconds`, killed after; the pids told. */
  stop(pid: number, seconds: number, options?: { tree?: boolean }): number[];
  inspect(pid: number): Promise<ProcDetail>;
  /** Ended processes out of the store; the pids removed. */
  remove(pids: readonly number[]): Promise<number[]>;
  /** Every ended process that ended before `before` (ms) and that nothing live still needs. */
  prune(before: number): Promise<number[]>;
  /** What a process and its subtree changed (the rollback journal). */
  diff(pid: number): Promise<FileChange[]>;
  /** Put it back, from `turn` on (its descendants' changes made after that turn's prompt). */
  rollback(pid: number, turn?: number): Promise<Array<{ path: string; action: 'restored' | 'removed' }>>;
  /** A run kept as a replay tape. */
  recordTape(pid: number, options?: { tree?: boolean }): Promise<Recording>;
  /** Tapes played to other models. */
  evalTapes(request: { tapes: readonly string[]; models: readonly string[]; cwd?: string }): Promise<EvalRun[]>;
  /** What applying these documents as the set of `file` would do; nothing is kept. */
  planUnitSet(file: string, documents: readonly unknown[]): Promise<SetPlan>;
  /** Apply a plan made from the same documents (EACCES when it asks beyond the policy's root). */
  applyUnitSet(file: string, documents: readonly unknown[], plan: SetPlan): void;
}

/** What the event log answers: `logs`, `history`, the web view's pages, search and chart. */
export type EventReads = Pick<
  EventLog,
  'of' | 'stored' | 'recent' | 'lastId' | 'before' | 'after' | 'usage' | 'search' | 'indexAll'
>;

/**
 * The part of the store a front door reads: the commit barrier (a change is answered once it is
 * durable, an event pushed once it is), the event log, a process's row (whatever its state, one the
 * table no longer holds included), a budget's spend by window.
 */
export interface StoreView {
  committed(): Promise<void>;
  /** Commit what is queued now, so that a read sees it (awaited: the kernel's thread goes on meanwhile); false when refused. */
  flushed(): Promise<boolean>;
  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void;
  readonly lastQueuedEventId: number;
  readonly events: EventReads;
  readonly processes: Pick<ProcessRows, 'get'>;
  readonly spend: Pick<SpendRows, 'history' | 'awaited'>;
}

/** What the policy's watcher hands over: an edited policy, valid. */
export interface PolicyChange {
  file: string;
  rootCapabilities: readonly string[];
  safety: SafetyPolicy;
  defaultModel?: string;
  /** AOS_MODEL chose the default model: the policy's does not replace it. */
  fromEnv: boolean;
  cost?: CostPolicy;
}

/** The policy in force, its reload, and the defaults a spawn falls back on. */
export interface PolicyApi {
  /** What a root process may hold. */
  readonly rootCaps: { readonly list: readonly string[] };
  /** When the policy in force was read (ms since the epoch). */
  readonly policyLoadedAt: number;
  /** Why the policy file's last edit was not applied (the daemon's watcher sets it), or null. */
  policyError: string | null;
  reloadPolicy(change: PolicyChange): void;
  /** The MCP servers the policy declared (what a unit may name). */
  readonly mcpServers: Readonly<Record<string, McpServerConfig>>;
  readonly cwd: string;
  readonly defaultModel?: string;
  /** `--model auto`'s rungs, or null. */
  readonly ladder: readonly string[] | null;
  readonly models: Pick<ModelRegistry, 'catalog'>;
  /** Approvals, the audit trail and the rules in force (safety/safety.ts). */
  readonly safety: {
    readonly approvals: Pick<Safety['approvals'], 'has' | 'list' | 'approve' | 'deny'>;
    /** Proposals (issue 52.2): listed, and undone inside their window (safety/proposals.ts). */
    readonly proposals: Pick<Safety['proposals'], 'list' | 'undo'>;
    readonly audit: Pick<Safety['audit'], 'list' | 'verify' | 'page' | 'signExport' | 'awaited'>;
    readonly policy: SafetyPolicy;
    /** `aos blame` (issue 52.4) reads the journal, the workspace and the audit trail (safety/blame.ts). */
    readonly journal: Pick<Safety['journal'], 'history' | 'awaited'>;
    readonly fs: Pick<Safety['fs'], 'contentOf' | 'root'>;
    /** Text with every secret's value shown as `{{secret:NAME}}` (`aos policy check --against` shows calls through it). */
    shown(text: string): string;
  };
}

/** Each area's own service, as far as a front door may call it. */
export interface ServicesApi {
  readonly units: Pick<
    Units,
    | 'preview'
    | 'add'
    | 'list'
    | 'info'
    | 'spec'
    | 'capabilities'
    | 'webhooks'
    | 'run'
    | 'setEnabled'
    | 'remove'
    | 'runs'
  >;
  /** The units' reads that answer clients, awaited (units/unit-reads.ts): `aos unit ls`, `unit show`, `unit runs`. */
  readonly unitReads: AwaitedUnitReads;
  readonly channels: ChannelsApi;
  readonly threads: Pick<
    Threads,
    'list' | 'info' | 'read' | 'get' | 'append' | 'remove' | 'linksOf' | 'linksOfKey' | 'linksAwaited'
  >;
  /** The installed skills: what `aos skill` lists, and reloaded after an add or rm. */
  readonly skills: Pick<SkillShelf, 'list' | 'get' | 'load'>;
  readonly budgets: Pick<Budgets, 'budgets' | 'current' | 'pausedPids' | 'raise' | 'reset'>;
  /** The webhook routes, as the gateway delivers a request to one. */
  readonly webhooks: WebhookRoutes;
  /** Replies as they are written (never stored). */
  readonly live: LiveText;
  /** The cluster this kernel is a node of, or null. */
  readonly cluster: ClusterApi | null;
}

/** What the front doors read of this kernel's cluster (kernel/cluster): its nodes, other nodes' stores, requests between nodes. */
export interface ClusterApi {
  readonly workspace: Cluster['workspace'];
  readonly member: Pick<Cluster['member'], 'name' | 'nodes' | 'lastBeat'>;
  readonly remote: Pick<
    Cluster['remote'],
    | 'ownerOf'
    | 'webhookOwner'
    | 'keyHolder'
    | 'holderOf'
    | 'rows'
    | 'tree'
    | 'events'
    | 'eventsToFollow'
    | 'eventsSince'
    | 'eventOrdinal'
  >;
  readonly requests: Pick<Cluster['requests'], 'ask' | 'serve'>;
  readonly keys: Pick<Cluster['keys'], 'claim' | 'claimant' | 'release'>;
  onChange(listener: () => void): () => void;
  onFenced(listener: (epoch: number) => void): () => void;
}

export type WebhookRoutes = Pick<Webhooks, 'find' | 'owner' | 'pendingOf' | 'deliver' | 'cancel' | 'replyTimeoutMs'>;

/** The kernel, as every front door sees it. */
export interface KernelApi extends ProcessesApi, PolicyApi, ServicesApi {
  readonly admin: AdminApi;
  readonly store: StoreView;
  /** The daemon's log. */
  log(level: LogLevel, message: string): void;
}

// ---- named by the front doors ----
export type { SpawnOptions } from './proc/spawn-options.js';
export type { Via } from './safety/approvals.js';
export { blame, type BlameView } from './safety/blame.js';
export type { Policy } from './safety/policy.js';
export type { Webhook, WebhookReply, WebhookRequest } from './ipc/webhooks.js';
export type { EventRow, StoredEvent, UsageRow } from './store/api.js';
export type {
  ApproverSetInfo,
  BindingInfo,
  ChannelInfo,
  ChannelMessageInfo,
  PairedSender,
  PairingInfo,
} from './ipc/channel-types.js';

// ---- what a front door calls without a kernel in hand ----
/** A policy file read and checked as a starting kernel reads it; its secrets' values; the model limits (AOS_LIMITS). */
export { loadPolicy, parsePolicy } from './safety/policy.js';
export { SecretBox } from './safety/secrets.js';
export { parseLimits } from './sched/model-pool.js';
/** A unit's `mcp_servers:`, read in the policy's own shape. */
export { mcpPolicySchema, mcpServerConfigs } from './safety/mcp-policy.js';
/** The gateway's error reply; another node's error (kernel/cluster/requests.ts). */
export { jsonError } from './ipc/webhooks.js';
// Its own module: the cluster's (and PostgreSQL's client) is loaded only by a kernel that joins one.
export { RemoteError } from './cluster/remote-error.js';
/** A keyed spawn another node holds the key of: EEXIST when its arguments differ. */
export { refuseOtherSpawn } from './proc/idempotency.js';
/** The kernel's default model as `provider:model`, or null; what `aos budget show` shows of a budget. */
export { defaultModelOf } from './proc/root-model.js';
export { budgetView } from './cost/budget-view.js';
/** A unit file's mistakes, all at once and each with its line (issue 51.4). */
export { refuseUnitText } from './units/spec.js';
/** A candidate policy tried on recorded calls without running them (issue 52.3: `aos policy check --against`). */
export {
  callsOf,
  tryCalls,
  wouldDecide,
  type AuditSeen,
  type CallDecision,
  type Maker,
  type RecordedCall,
  type TryReport,
} from './safety/policy-try.js';
