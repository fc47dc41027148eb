/**
 * The composition root: opens the store, the drivers and its place in a cluster, wires the process
 * table, the scheduler, IPC, the safety pieces and the turn loop together. It is the data the proc/
 * functions work on (ProcCore) and, for the daemon and programs that embed aos, a short public API:
 * spawn, kill, wait, ps, logs, stats, close. It opens no listener: the daemon attaches the gateway.
 */
import { type OpenedDrivers, type ScopedDrivers, scopeDrivers } from '../drivers/index.js';
import type { MemoryStore } from '../drivers/memory/memory-store.js';
import type { ModelRegistry } from '../drivers/llm/registry.js';
import type { TapeReader } from '../drivers/llm/workspace-tapes.js';
import { syscallReference } from '../syscalls/reference.js';
import type { ProcessDrivers } from '../sys/driver-api.js';
import { Mailboxes } from './ipc/mailboxes.js';
import { Threads } from './ipc/threads.js';
import { modelInterceptors } from './loop/model-chain.js';
import { Webhooks, type WebhookListener } from './ipc/webhooks.js';
import { openKernelDrivers, openServices } from './kernel-open.js';
import { hookRules } from './safety/hooks.js';
import { adminVerbs } from './admin.js';
import type { KernelApi, PolicyChange } from './api.js';
import type { KernelOptions } from './kernel-options.js';
import { kernelStats } from './kernel-stats.js';
import { closeKernel, shutdownKernel } from './kernel-stop.js';
import { noteCrash, recover } from './loop/recovery.js';
import { startTurn } from './loop/turn.js';
import { param } from '../sys/param.js';
import type { LogLevel } from './proc/api.js';
import { kill } from './proc/kill.js';
import { makeReady, setState, waitExit } from './proc/lifecycle.js';
import type { SpawnCore, SpawnOptions } from './proc/spawn-options.js';
import { spawnRoot } from './proc/spawn.js';
import { CapabilitySet } from '../sys/capabilities.js';
import { Safety } from './safety/safety.js';
import { PromptMask } from './safety/prompt-mask.js';
import type { CallChain } from './loop/call-chain.js';
import { ProcServices } from './proc-services.js';
import type { Proc } from './proc/proc.js';
import { ProcTable } from './proc/table.js';
import { ModelPool } from './sched/model-pool.js';
import { emitRetries } from './sched/retry-events.js';
import { Scheduler } from './sched/scheduler.js';
import { DiskGuard } from './proc/disk-guard.js';
import { watchStore } from './upkeep/faults.js';
import { startRetention } from './upkeep/retention.js';
import { Units } from './units/units.js';
import { type AwaitedUnitReads, awaitedUnitReads } from './units/unit-reads.js';
import { unitsHost } from './units-host.js';
import { Channels } from './channels/channels.js';
import { type ForkAnswer, forkProcess, type ForkRequest } from './fork.js';
import { loadRootModel } from './proc/root-model.js';
import { channelsHost } from './channels-host.js';
import { attachCluster, type Cluster, withCluster } from './cluster-host.js';
import type { McpServerConfig } from '../drivers/mcp/types.js';
import { NO_COST_POLICY, type CostPolicy } from './cost/cost-policy.js';
import { Budgets } from './cost/budgets.js';
import { IdempotencyKeys, spawnKeyed } from './proc/idempotency.js';
import { realClock } from '../sys/clock.js';
import type { LadderRules } from './sched/ladder.js';
import type { PrivacyPolicy } from './cost/privacy-spec.js';
import type { AllProcesses, AuditInput, KernelStore, OpenedStore } from './store/api.js';
import { openStore } from './store/open.js';
import { SkillShelf } from '../drivers/skills/shelf.js';
import { visibleSkills } from './skill-calls.js';
import { EventBus, type KernelEvent } from '../protocol/events.js';
import { LiveText } from '../protocol/live-text.js';
import { RawJson } from '../protocol/raw-json.js';
import { isEnded, type Pcb } from '../sys/types.js';
import { KernelTracing } from './loop/tracing.js';
import { timerMark, timerPrompt } from './safety/taint-timer.js';
import type { Timer } from './ipc/queues.js';
import type { KernelStats, ProcRow } from '../protocol/views.js';

export { KERNEL_VERSION } from '../sys/version.js';
export type { SpawnOptions } from './proc/spawn-options.js';
export type { KernelLog, KernelOptions } from './kernel-options.js';

export class Kernel implements SpawnCore, KernelApi {
  readonly events = new EventBus();
  /** Replies as they are written, for whoever watches (never stored). */
  readonly live = new LiveText();
  readonly table: ProcTable;
  readonly models: ModelRegistry;
  readonly tapes: TapeReader;
  readonly scheduler: Scheduler;
  readonly pool: ModelPool;
  readonly mailboxes: Mailboxes;
  /** Context threads (ipc/threads.ts). */
  readonly threads: Threads;
  /** The installed skills (drivers/skills/shelf.ts; SKILL_OPEN, the skills part of a system prompt). */
  readonly skills: SkillShelf;
  /** Whether a skill is installed: the skills interceptor is installed only then. */
  get anySkills(): boolean {
    return this.skills.size > 0;
  }
  /** The installed skills `caps` may see (skill:<name-glob>). */
  visibleSkills(caps: readonly string[]): Array<{ name: string; description: string }> {
    return visibleSkills(this.skills, caps);
  }
  readonly webhooks: Webhooks;
  readonly disk: DiskGuard;
  readonly psAll: AllProcesses;
  readonly store: KernelStore;
  /** What a root process may hold (the policy's root capabilities; a reloaded policy replaces them for new spawns). */
  rootCaps: CapabilitySet;
  /** When the policy in force was read (ms since the epoch): at start, or at its last reload. */
  policyLoadedAt = Date.now();
  /** Why the policy file's last edit was not applied (the daemon's watcher says), or null. */
  policyError: string | null = null;
  readonly cwd: string;
  readonly startedAt = Date.now();
  /** The policy's rules, audit trail, approvals, secrets and rollback journal (safety/safety.ts). */
  readonly safety: Safety;
  /** Declared agents and the triggers that start them (units/units.ts). */
  readonly units: Units;
  /** The units' reads that answer clients, awaited (units/unit-reads.ts). */
  readonly unitReads: AwaitedUnitReads;
  /** Telegram, Slack: adapters, bindings, pairing (channels/channels.ts). */
  readonly channels: Channels;
  closing = false;
  gateway: WebhookListener | null = null;
  /**
   * Each process's drivers and services, made at its first syscall and kept for its life: the
   * driver table is opened once, and a process sees it through its own capabilities and kill
   * signal. Weak: a process that ended and left the table takes them with it.
   */
  private readonly procDrivers = new WeakMap<Proc, ScopedDrivers>();
  private readonly procServices = new WeakMap<Proc, ProcServices>();
  stopRetention: () => void = () => undefined;

  private constructor(
    /** The driver table, opened once; each process sees it scoped (drivers(proc)). */
    readonly opened: OpenedDrivers,
    opened_: OpenedStore,
    private readonly options: KernelOptions,
    /** The cluster this kernel is a node of (AOS_DATABASE_URL), or null. */
    readonly cluster: Cluster | null = null,
  ) {
    const store = opened_.store;
    this.store = store;
    this.table = new ProcTable(store);
    this.rootCaps = new CapabilitySet(options.rootCapabilities);
    this.cost = options.cost ?? NO_COST_POLICY;
    this.cwd = options.cwd ?? process.cwd();
    this.mailboxes = new Mailboxes(this);
    this.threads = new Threads(this);
    this.skills = new SkillShelf(options.skillsDir ?? null);
    this.webhooks = new Webhooks(this, options.webhookReplyTimeoutMs ?? param.webhookReplyTimeoutMs);
    this.disk = new DiskGuard(store, {
      setState: (proc, to, extra) => setState(this, proc, to, extra),
      makeReady: (proc) => makeReady(this, proc),
    });
    watchStore(this);
    this.tapes = opened.llm.tapes;
    this.models = opened.llm.registry;
    this.pool = new ModelPool({ limits: options.modelLimits ?? {}, ...options.modelRetry, buckets: cluster?.buckets });
    this.psAll = opened_.allProcesses({
      inline: () => this.processes({ all: true }),
      maxPid: () => this.store.ids.lastPid(),
    });
    this.scheduler = new Scheduler((pid, lease) => startTurn(this, pid, lease), this.pool);
    emitRetries(this.pool, this.events);
    // Traces (options.tracing: the daemon's OTEL_* settings): installed in both interceptor tables, secrets masked out.
    this.tracing = options.tracing ? new KernelTracing(options.tracing, (v) => this.safety.secrets.mask(v)) : null;
    this.safety = new Safety(this, store, { ...options, tracing: this.tracing });
    this.units = new Units(unitsHost(this), options.clock);
    this.unitReads = awaitedUnitReads(this.units, unitsHost(this));
    this.channels = new Channels(channelsHost(this));
    this.budgets = new Budgets(
      {
        store,
        events: this.events,
        audit: (input) => this.safety.audit.record(input),
        lineage: (proc) => this.table.lineage(proc),
        wake: (proc) => proc.wake('ready'),
      },
      options.clock ?? realClock,
    );
    this.keys = new IdempotencyKeys(store, () => this.cost.idempotencyTtlMs);
  }

  /** Budgets over days and months (the policy's `budgets:`; kernel/cost/budgets.ts). */
  readonly budgets: Budgets;
  /** Idempotency keys of spawns (kernel/proc/idempotency.ts). */
  readonly keys: IdempotencyKeys;

  /** A child's output in its parent's exit notice: a tainted writer's framed, its parent tainted (safety.ts childExit). */
  childOutput(parent: Proc, child: Proc, output: string): string {
    return this.safety.childExit(parent, child, output);
  }

  /** The fraction left of the tightest budget over a process (a ladder stays cheap when it is low). */
  headroom(proc: Proc): number | null {
    return this.budgets.any ? this.budgets.headroom(proc) : null;
  }

  static create = (options: KernelOptions): Promise<Kernel> =>
    withCluster(options, (cluster, asNode) => Kernel.open(asNode, cluster));

  private static async open(options: KernelOptions, cluster: Cluster | null): Promise<Kernel> {
    // Built now (~10 ms of zod's JSON Schema work), not on the first process's first turn.
    syscallReference();
    const file = options.storeFile ?? ':memory:';
    // The drivers read the policy's fs rules in force at each call (none is made before the kernel is built): a reload holds from the next.
    const kernel: Kernel = new Kernel(
      await openKernelDrivers(
        options,
        () => kernel.safety.policy.rules,
        () => hookRules(kernel.safety.policy),
      ),
      openStore(options.postgres ? { ...options.postgres, file } : (cluster?.storeOptions(file) ?? file)),
      options,
      cluster,
    );
    await openServices(kernel, options);
    attachCluster(kernel);
    await kernel.budgets.setSpecs(kernel.cost.budgets);
    await kernel.keys.load();
    await kernel.threads.load();
    await kernel.skills.load();
    await recover(kernel);
    await kernel.units.start();
    await kernel.channels.load();
    if (options.retentionMs !== undefined) kernel.stopRetention = startRetention(kernel, options.retentionMs);
    return kernel;
  }

  /** The MCP servers the policy declared when the kernel started (their secrets not filled in): what a unit may name. */
  get mcpServers(): Readonly<Record<string, McpServerConfig>> {
    return this.options.mcp ?? {};
  }

  /** The workspace (the fs driver, opened once). */
  get fs(): OpenedDrivers['fs'] {
    return this.opened.fs;
  }

  /** The memory store, or null when this kernel runs without one. */
  get memory(): MemoryStore | null {
    return this.opened.memory;
  }

  /** The daemon's log, or nowhere. */
  log(level: LogLevel, message: string): void {
    this.options.log?.(level, message);
  }

  /** `http://127.0.0.1:<port>` of the webhook gateway, or null when it is not running. */
  get gatewayUrl(): string | null {
    return this.gateway?.url ?? null;
  }
  /** The base of the webhook URLs processes are told: the public one (AOS_WEBHOOK_URL) or the gateway's own; null when it is not running. */
  get webhookBase(): string | null {
    return this.gateway ? (this.options.webhookUrl ?? this.gateway.url) : null;
  }

  get defaultModel(): string | undefined {
    return this.reloadedDefaultModel ?? this.options.defaultModel;
  }

  /** The policy's ladder, budgets and privacy rules in force (a reload replaces them). */
  cost: CostPolicy;

  /** `--model auto`'s rungs, and how a ladder climbs and holds. */
  get ladder(): readonly string[] | null {
    return this.cost.ladder;
  }
  get ladderRules(): LadderRules {
    return this.cost.ladderRules;
  }

  /** The policy's caps on a root's fan-out (work.max_children, work.max_live_descendants), and its privacy rules. */
  get work(): CostPolicy['work'] {
    return this.cost.work;
  }
  get privacy(): PrivacyPolicy | null {
    return this.cost.privacy;
  }

  audit = (input: AuditInput): void => void this.safety.audit.record(input);
  /** A thread attached to a process, shown with its outside entries framed (thread-context.ts; the taint rules'). */
  attachedThread = <V extends object>(proc: Proc, key: string, view: V): V =>
    this.safety.attachedThread(proc, key, view);

  private reloadedDefaultModel: string | undefined;

  /**
   * An edited policy, valid, for what comes next: root capabilities for new spawns, rules and
   * approvals for every decision from now on, the default model (unless AOS_MODEL chose it). Logged,
   * and kept in the audit trail (pid 0) with the file it came from.
   */
  reloadPolicy(change: PolicyChange): void {
    this.rootCaps = new CapabilitySet(change.rootCapabilities);
    if (change.cost) {
      this.cost = change.cost;
      this.budgets
        .setSpecs(change.cost.budgets)
        .catch((error: unknown) => this.log('error', `budgets not reloaded: ${(error as Error).message}`));
    }
    this.safety.reload(change.safety);
    if (!change.fromEnv) this.reloadedDefaultModel = change.defaultModel;
    this.policyLoadedAt = Date.now();
    const summary = `${change.rootCapabilities.length} root capabilities, ${change.safety.rules.length} rules`;
    this.safety.audit.record({
      pid: 0,
      call: 'POLICY',
      subject: change.file,
      decision: 'allow',
      rule: null,
      decided_by: 'person',
      reason: `policy reloaded: ${summary}`,
    });
    this.log('info', `policy ${change.file} reloaded: ${summary}; new decisions follow it`);
  }

  /** Totals of processes that ended and left the table. */
  get archived(): ProcTable['archived'] {
    return this.table.archived;
  }

  stats(): KernelStats {
    return kernelStats(this);
  }

  // ---- the public API: what the daemon (through its door, api.ts) and embedding programs ask ----
  /** What only a person asks: stop, inspect, rm, prune, diff, rollback, record, eval, up/down (admin.ts). */
  readonly admin = adminVerbs(this);
  spawn = (options: SpawnOptions): Promise<Pcb> => spawnRoot(this, options);
  /** A root spawn with an idempotency key: the same key and arguments answer with the first process (kernel/proc/idempotency.ts). */
  spawnKeyed = (key: string, options: SpawnOptions): Promise<{ pcb: Pcb; replayed: boolean }> =>
    spawnKeyed(this, key, options);
  kill = (pid: number, options: { tree?: boolean } = {}): number[] => kill(this, pid, options);
  /** `aos fork`: a new root process from another's turn (kernel/fork.ts). */
  fork = (request: ForkRequest): Promise<ForkAnswer> => forkProcess(this, request);
  isLive = (pid: number): boolean => {
    const p = this.table.get(pid);
    return p !== undefined && !isEnded(p.pcb.state);
  };
  /** Open a root's model (every rung of a ladder) as spawn would, or throw why not (kernel/fork.ts asks first). */
  loadModel = (model: string, cwd: string | undefined): Promise<void> => loadRootModel(this, model, cwd);
  /** Resolves with the PCB when the process has ended. */
  waitExit = (pid: number): Promise<Pcb> => waitExit(this, pid);
  /** A live process's PCB, or an ended one's while the table remembers it. */
  pcb = (pid: number): Pcb | undefined => this.table.pcb(pid);
  proc = (pid: number): Proc | undefined => this.table.get(pid);
  endedPcb = (pid: number): Pcb | undefined => this.table.endedPcb(pid);
  list = (): Pcb[] => this.table.list();
  processes = (options: { all?: boolean; last?: number } = {}): Promise<ProcRow[]> => this.table.rows(options);
  /** `processes()` of the live ones as JSON, for the wire: rows that did not change are not serialised again. */
  liveProcessesJson = (): RawJson<ProcRow[]> => new RawJson(this.table.liveRowsJson());
  tree = (pid: number, options: { tree?: boolean } = {}): Promise<ProcRow[]> => this.table.tree(pid, options);
  history = (pid: number, options: { tail?: number; tree?: boolean } = {}): Promise<KernelEvent[]> =>
    this.table.history(pid, options);
  /** A webhook's body for its owner: framed as outside data, a source of its taint (issue 49; ipc/webhooks.ts). */
  webhookBody = (pid: number, detail: string, body: string): string =>
    this.safety.outside(pid, 'webhook', detail, body);
  /** A thread entry that is outside content: a channel's message, or written by a process tainted by then (a summary folding it in is framed). */
  threadEntryOutside = (entry: { pid: number; kind: string; ts: string }): boolean =>
    (entry.pid === 0 && entry.kind === 'message') || this.safety.ledger.writtenTainted(entry.pid, entry.ts);
  /** Whether thread `key`'s summary folded in outside content. */
  threadSummaryOutside = (key: string): boolean => this.threads.get(key)?.summary_outside === 1;
  /** A timer keeps its setter's taint, and its prompt is framed when it fires (issue 49; ipc/mailboxes.ts). */
  timerTaint = (pid: number): string | null => timerMark(this.safety, this.table.get(pid));
  timerPrompt = (pid: number, timer: Timer): string => timerPrompt(this.safety, pid, timer);
  processEnded = (pid: number): void => {
    this.webhooks.processEnded(pid);
    this.threads.forget(pid);
    this.channels.processEnded(pid);
  };

  services = (proc: Proc, resumeDeadline: number | null): ProcServices => {
    // A call a restart cut goes on with a services of its own, holding the deadline it had.
    if (resumeDeadline !== null) return new ProcServices(this, proc, resumeDeadline);
    let services = this.procServices.get(proc);
    if (!services) this.procServices.set(proc, (services = new ProcServices(this, proc)));
    return services;
  };
  drivers = (proc: Proc): ProcessDrivers => {
    let drivers = this.procDrivers.get(proc);
    if (!drivers) {
      drivers = scopeDrivers(this.opened, {
        pid: proc.pid,
        tree: proc.tree,
        signal: proc.abort.signal,
        allows: (required) => proc.caps.allows(required),
        caps: proc.caps.list,
        cwd: proc.pcb.cwd,
      });
      this.procDrivers.set(proc, drivers);
    }
    return drivers;
  };
  /** A system prompt's text with the policy's secrets masked (safety/prompt-mask.ts): what the loop keeps and sends. */
  maskPrompt = (text: string): string => this.promptMask.mask(text);
  private readonly promptMask = new PromptMask(() => this.safety.secrets);
  /**
   * Masked where it is made: its text is the servers' own (tool names, descriptions, why one cannot
   * start — its last stderr line, an HTTP error body), and a server the policy gives a secret may say it.
   */
  mcpReference = (proc: Proc): string | Promise<string> => {
    const text = this.drivers(proc).mcp.reference();
    return typeof text === 'string' ? this.maskPrompt(text) : text.then(this.maskPrompt);
  };
  readonly modelChain = modelInterceptors(this);
  /** Spans of turns and syscalls, when the daemon exports traces (loop/tracing.ts); null: no tracing code runs. */
  readonly tracing: KernelTracing | null;
  get callChain(): CallChain {
    return this.safety.calls;
  }
  /** `aos send`: write to a process's stdin from outside (pid 0). */
  send = (pid: number, text: string): void => void this.mailboxes.sendStdin(pid, text);
  stdinShown = (pid: number, ids: readonly number[]): void => this.mailboxes.shown(pid, ids);
  /** The daemon is dying of an error raised while working for `pid`: the next start charges the crash to it alone. */
  noteCrash = (pid: number | null): void => noteCrash(this, pid);

  /** Kill everything still alive and wait for it to be reaped (the in-process CLI's exit). */
  shutdown = (): Promise<void> => shutdownKernel(this);

  /** Stop without ending any process: commit, close the store, abort what is in flight; the next kernel resumes them. */
  close = (options: { crashed?: boolean; backup?: boolean } = {}): Promise<void> => closeKernel(this, options);
}
