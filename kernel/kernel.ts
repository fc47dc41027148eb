/**
 * The kernel: the process table, spawn, kill, finish, and the hooks the turn loop and the
 * syscall services use. Every change is an event on `events` and a row in the store.
 */
import { getHeapStatistics } from 'node:v8';
import { AosError } from './errno.js';
import { BoundedMap } from './bounded-map.js';
import { DiskGuard } from './store/disk-guard.js';
import { WorkspaceFs } from '../drivers/fs/workspace-fs.js';
import { costOf } from '../drivers/llm/prices.js';
import type { ModelDriver, ModelUsage } from '../drivers/llm/types.js';
import type { MemoryStore } from '../drivers/memory/memory-store.js';
import { type MemoryOptions, openMemory } from '../drivers/memory/open-memory.js';
import type { SpawnRequest } from '../syscalls/services.js';
import { CapabilitySet } from './proc/capabilities.js';
import { contextBudget } from './loop/context-budget.js';
import { formatEvent, taskMessage } from './loop/context.js';
import { syscallReference } from '../syscalls/reference.js';
import { EventBus, type KernelEvent } from './wire/events.js';
import { Gateway } from './daemon/gateway.js';
import { Mailboxes } from './ipc/mailboxes.js';
import { chooseChildModel } from './proc/model-choice.js';
import { ModelRegistry, normalizeModel } from '../drivers/llm/registry.js';
import { param } from './param.js';
import { opensPrivateAddress } from './proc/policy.js';
import { type Notice, Proc, pcbFromRecord, type WakeReason } from './proc/proc.js';
import { CRASH_SUSPECT_KEY, recover, RUNNING_KEY } from './loop/recovery.js';
import { pruneProcesses } from './store/retention.js';
import { type LaneLimits, type Lease, ModelPool } from './sched/model-pool.js';
import { Scheduler } from './sched/scheduler.js';
import { type ProcessSummary, Store } from './store/store.js';
import { TapeReader } from '../drivers/llm/workspace-tapes.js';
import { runTurn } from './loop/turn.js';
import { emptyCounters, isEnded, PROC_STATES, type Pcb, type ProcState, type WaitSpec } from './types.js';
import { type KernelStats, maxInferences, type ProcRow, toProcRow } from './wire/views.js';
import { PsAll } from './store/ps-all.js';
import { psRowFromColumns } from './store/ps-rows.js';
import { Webhooks } from './ipc/webhooks.js';

export const KERNEL_VERSION = '0.1.0';

/** param.ts's memory limits under whatever the caller set. */
function withMemoryDefaults(memory: MemoryOptions): MemoryOptions {
  return {
    ...memory,
    opTimeoutMs: memory.opTimeoutMs ?? param.memOpTimeoutMs,
    chroma: {
      startTimeoutMs: param.memStartTimeoutMs,
      stopGraceMs: param.memStopGraceMs,
      retryAfterMs: param.memRetryAfterMs,
      ...memory.chroma,
      restart: {
        initialDelayMs: param.memRestartDelayMs,
        maxDelayMs: param.memRestartMaxDelayMs,
        maxRestarts: param.memMaxRestarts,
        windowMs: param.memRestartWindowMs,
        ...memory.chroma?.restart,
      },
    },
  };
}

export type KernelLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface KernelOptions {
  /** Where the kernel reports what no process can be told (the daemon's log). */
  log?: KernelLog;
  /** Host directory agents see as `/`. */
  workspace: string;
  /** Capabilities of a root process (from the policy). */
  rootCapabilities: readonly string[];
  /** Per-provider / per-model concurrency and rate limits (AOS_LIMITS); concurrency adapts where none is given. */
  modelLimits?: Record<string, LaneLimits>;
  /** Retry policy of the model pool (defaults in param.ts). */
  modelRetry?: { maxRetries?: number; backoffBaseMs?: number; backoffMaxMs?: number };
  /** One model call's time limit (default 120 s). */
  modelTimeoutMs?: number;
  /** Base for relative model paths (replay tapes). */
  cwd?: string;
  /** SQLite file of the kernel's state; in memory when absent. */
  storeFile?: string;
  /** Private addresses the policy opens to NET_FETCH ("ip:port" or "ip:*"); none by default. */
  netAllowPrivate?: readonly string[];
  /** Port of the webhook gateway on 127.0.0.1 (0: any free port); no gateway when absent. */
  webhookPort?: number;
  /** How long a webhook request waits for SYS_WEBHOOK_REPLY (default param.webhookReplyTimeoutMs). */
  webhookReplyTimeoutMs?: number;
  /** Ended processes older than this are pruned from the store (at start, then hourly); kept forever when absent. */
  retentionMs?: number;
  /** MEM_WRITE / MEM_READ: a Chroma data dir (started lazily, supervised) or CHROMA_URL; memory is unavailable (EIO) when absent. */
  memory?: MemoryOptions;
}

export interface SpawnOptions {
  task: string;
  model: string;
  name?: string;
  role?: string;
  priority?: number;
  maxTurns?: number;
  /** Narrows the policy's root capabilities. */
  capabilities?: readonly string[];
  maxTokens?: number;
  maxCost?: number;
  maxWallS?: number;
  /** Context budget in tokens (default param.contextBudgetTokens), never above the model's window allows. */
  contextTokens?: number;
  /** Where relative model paths (replay tapes) are resolved: the caller's directory. */
  cwd?: string;
}

type SpawnRequestOf = SpawnOptions & { role: string; name: string; pipeTo?: number | null };

/** A child's budget is never looser than its parent's (null = unlimited). */
function tighter(asked: number | undefined, parent: number | null | undefined): number | null {
  const candidates = [asked, parent].filter((v): v is number => typeof v === 'number');
  return candidates.length ? Math.min(...candidates) : null;
}

export class Kernel {
  readonly events = new EventBus();
  readonly models: ModelRegistry;
  readonly tapes: TapeReader;
  readonly scheduler: Scheduler;
  readonly pool: ModelPool;
  readonly mailboxes: Mailboxes;
  readonly webhooks: Webhooks;
  readonly disk: DiskGuard;
  private gatewayServer: Gateway | null = null;
  private memoryStore: MemoryStore | null = null;
  /** `ps --all`, listed off the kernel's thread when the store is large. */
  readonly psAll: PsAll;
  /** Set by close(): nothing more is started, written or run. */
  closing = false;
  private readonly procs = new Map<number, Proc>();
  private readonly rootCaps: CapabilitySet;
  private readonly exitWaiters = new Map<number, Array<(pcb: Pcb) => void>>();
  nextPid = 1;
  /** Recently ended processes, so a parent's WAIT or a CLI's wait never has to go to the store for them. */
  private readonly ended = new BoundedMap<number, Pcb>(param.endedCacheSize);
  private readonly startedAt = Date.now();

  private constructor(
    readonly fs: WorkspaceFs,
    readonly store: Store,
    private readonly options: KernelOptions,
  ) {
    this.rootCaps = new CapabilitySet(options.rootCapabilities);
    this.mailboxes = new Mailboxes(this);
    this.webhooks = new Webhooks(this, options.webhookReplyTimeoutMs ?? param.webhookReplyTimeoutMs);
    this.disk = new DiskGuard(store, { setState: (proc, to, extra) => this.setState(proc, to, extra), requeue: (proc) => this.requeue(proc) });
    this.events.subscribe((event) => this.record(event));
    store.hooks = {
      onWriteError: (pid, error) => this.onWriteError(pid, error),
      onHealth: (healthy) => this.disk.onHealth(healthy),
      log: (level, message) => this.log(level, message),
    };
    this.tapes = new TapeReader(fs, param.replayMaxTapeBytes);
    this.models = new ModelRegistry({ modelTimeoutMs: options.modelTimeoutMs, readTape: (file) => this.tapes.read(file) });
    this.pool = new ModelPool({ limits: options.modelLimits ?? {}, ...options.modelRetry });
    this.psAll = new PsAll({ store, inline: () => this.processes({ all: true }), maxPid: () => this.nextPid - 1 });
    this.scheduler = new Scheduler((pid, lease) => this.startTurn(pid, lease), this.pool);
  }

  static async create(options: KernelOptions): Promise<Kernel> {
    const fs = await WorkspaceFs.open({
      root: options.workspace,
      maxReadBytes: param.fsMaxReadBytes,
      maxWriteBytes: param.fsMaxWriteBytes,
      maxListEntries: param.fsMaxListEntries,
      maxPathLength: param.fsMaxPathLength,
      syncIoBytes: param.fsSyncIoBytes,
      syncDirBytes: param.fsSyncDirBytes,
    });
    const memory = options.memory ? openMemory(withMemoryDefaults(options.memory)) : null;
    // Built now (~10 ms of zod's JSON Schema work), not on the first process's first turn.
    syscallReference();
    const kernel = new Kernel(fs, Store.open(options.storeFile ?? ':memory:'), options);
    kernel.memoryStore = memory;
    if (options.webhookPort !== undefined) {
      try {
        kernel.gatewayServer = await Gateway.listen(kernel.webhooks, { port: options.webhookPort, maxBodyBytes: param.webhookMaxBodyBytes });
      } catch (error) {
        kernel.store.close();
        throw error;
      }
    }
    recover(kernel);
    kernel.startRetention();
    return kernel;
  }

  private retentionTimer: NodeJS.Timeout | null = null;

  /** With a retention window, old ended processes are pruned now and every hour. */
  private startRetention(): void {
    const window = this.options.retentionMs;
    if (window === undefined) return;
    const sweep = (): void => {
      pruneProcesses(this, Date.now() - window).then(
        (n) => n > 0 && this.log('info', `retention: pruned ${n} ended processes older than ${Math.round(window / 1000)} s`),
        (error: unknown) => this.log('warn', `retention: prune failed: ${(error as Error).message}`),
      );
    };
    setImmediate(sweep);
    this.retentionTimer = setInterval(sweep, param.retentionSweepMs);
    this.retentionTimer.unref();
  }

  /** The daemon's log, or nowhere. */
  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  /** Every event goes to the store; one that cannot be serialised ends its process instead of vanishing. */
  private record(event: KernelEvent): void {
    if (this.store.addEvent(event)) return;
    const proc = this.procs.get(event.pid);
    const message = `kernel error: a ${event.type} event of process ${event.pid} could not be stored`;
    this.store.addEvent({ ts: event.ts, pid: event.pid, type: 'error', message });
    if (proc) this.endForKernelError(proc, new Error(message));
  }

  private onWriteError(pid: number, error: Error): void {
    const proc = this.procs.get(pid);
    this.log('error', `process ${pid}: its state could not be stored: ${error.message}`);
    if (!proc) return;
    proc.recordBroken = true;
    this.persist(proc);
    this.endForKernelError(proc, new Error(`its state could not be stored: ${error.message}`));
  }

  /**
   * Something went wrong inside the kernel while it worked for this process (not the model's fault):
   * the process ends with the reason, the kernel goes on.
   */
  endForKernelError(proc: Proc, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const reason = message.startsWith('kernel error:') ? message : `kernel error: ${message}`;
    if (isEnded(proc.pcb.state) || proc.killRequested) return;
    this.log('error', `process ${proc.pid} ended: ${reason}${error instanceof Error && error.stack ? `\n${error.stack}` : ''}`);
    this.events.emit({ type: 'error', pid: proc.pid, message: reason });
    this.requestKill(proc, reason, 'exited', 1);
  }

  /** Before a call with host side effects: everything the process did so far is committed (parked while the disk is full). */
  commitBarrier(proc: Proc): Promise<void> {
    return this.disk.commit(proc);
  }

  /** The memory store (its Chroma starts on the first MEM_* call), or null when memory is not configured. */
  get memory(): MemoryStore | null {
    return this.memoryStore;
  }

  /** The webhook gateway, or null when the kernel was started without a webhook port. */
  get gateway(): Gateway | null {
    return this.gatewayServer;
  }

  /** `http://127.0.0.1:<port>` of the webhook gateway, or null when it is not running. */
  get gatewayUrl(): string | null {
    return this.gatewayServer?.url ?? null;
  }

  proc(pid: number): Proc | undefined {
    return this.procs.get(pid);
  }

  /** Used by recovery to put a live process back in the table. */
  adopt(proc: Proc): void {
    this.procs.set(proc.pid, proc);
  }

  /** The PCB of a process that has ended (from memory while it is recent, else from the store), or undefined. */
  endedPcb(pid: number): Pcb | undefined {
    const live = this.procs.get(pid);
    if (live) return isEnded(live.pcb.state) ? live.pcb : undefined;
    const recent = this.ended.get(pid);
    if (recent) return recent;
    this.store.flush();
    const record = this.store.loadProcess(pid);
    return record && (record.state === 'exited' || record.state === 'killed') ? pcbFromRecord(record) : undefined;
  }

  /** Live processes and the recently ended ones still cached, by pid. */
  list(): Pcb[] {
    const pcbs = [...this.procs.values()].map((p) => p.pcb);
    for (const pcb of this.ended.values()) if (!this.procs.has(pcb.pid)) pcbs.push(pcb);
    return pcbs.sort((a, b) => a.pid - b.pid);
  }

  /** The PCB of any process this kernel's store knows, live or ended. */
  pcb(pid: number): Pcb | undefined {
    return this.procs.get(pid)?.pcb ?? this.endedPcb(pid);
  }

  /**
   * `aos ps`: live processes; with `all` every process the store knows (psAll lists a large store
   * off this thread); with `last`, the last N created, whatever their state. Live rows come from memory.
   */
  processes(options: { all?: boolean; last?: number } = {}): ProcRow[] {
    const now = Date.now();
    if (!options.all && options.last === undefined) return [...this.procs.values()].map((proc) => this.rowOf(proc, now));
    this.store.flush();
    const stored = this.store.psColumns(options.last);
    const rows = stored.map((columns) => {
      const live = this.procs.get(columns.pid);
      return live ? this.rowOf(live, now) : psRowFromColumns(columns, now);
    });
    // A live process the store has not got (a disk that refuses commits) is still shown.
    const listed = new Set(stored.map((c) => c.pid));
    for (const proc of this.procs.values()) if (!listed.has(proc.pid)) rows.push(this.rowOf(proc, now));
    if (rows.length === stored.length) return rows;
    rows.sort((a, b) => a.pid - b.pid);
    return options.last === undefined ? rows : rows.slice(-options.last);
  }

  private rowOf(proc: Proc, now: number): ProcRow {
    const row = toProcRow(proc.pcb, now);
    if (proc.diskWait) row.wait = 'disk full';
    return row;
  }

  /**
   * The rows of a process and (with `tree`) its descendants, from the store so that ended ones a
   * restart left out of the table are included; live rows come from memory.
   */
  tree(pid: number, options: { tree?: boolean } = {}): ProcRow[] {
    this.store.flush();
    const pids = options.tree ? this.store.subtreePids(pid) : this.store.loadProcess(pid) ? [pid] : [];
    if (pids.length === 0) throw new AosError('ESRCH', `no such process ${pid}`);
    const now = Date.now();
    return pids.map((p) => {
      const live = this.procs.get(p);
      const record = live ? undefined : this.store.loadProcess(p);
      return toProcRow(live ? live.pcb : pcbFromRecord(record as NonNullable<typeof record>), now);
    });
  }

  /** Past events of a process (and with `tree`, of its descendants), oldest first. */
  history(pid: number, options: { tail?: number; tree?: boolean } = {}): KernelEvent[] {
    const pids = this.tree(pid, options).map((r) => r.pid);
    return this.store.events(pids, options.tail);
  }

  /** Totals of processes that ended before this kernel started and are not in its table. */
  archived = { exited: 0, killed: 0, promptTokens: 0, outputTokens: 0, cost: 0 };

  stats(): KernelStats {
    const processes = Object.fromEntries(PROC_STATES.map((s) => [s, 0])) as Record<ProcState, number>;
    const a = this.archived;
    processes.exited = a.exited;
    processes.killed = a.killed;
    let promptTokens = a.promptTokens;
    let outputTokens = a.outputTokens;
    let cost = a.cost;
    for (const { pcb } of this.procs.values()) {
      processes[pcb.state]++;
      promptTokens += pcb.counters.promptTokens;
      outputTokens += pcb.counters.outputTokens;
      cost += pcb.counters.cost;
    }
    const queued = this.scheduler.queuedByProvider();
    const providers = this.pool.providers().map((p) => ({ ...p, queued: queued.get(p.provider) ?? 0 }));
    return {
      pid: process.pid,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      version: KERNEL_VERSION,
      processes,
      active_inferences: this.scheduler.activeInferences,
      max_inferences: maxInferences(providers),
      queue_depth: this.scheduler.queueDepth,
      prompt_tokens: promptTokens,
      output_tokens: outputTokens,
      cost,
      // Not process.memoryUsage(): it walks every page and took up to 7-20 ms mid-burst (top asks 4 times a second).
      rss_bytes: process.memoryUsage.rss(),
      heap_used_bytes: getHeapStatistics().used_heap_size,
      rate_limits: this.pool.headroom(),
      providers,
      webhook_url: this.gatewayUrl,
    };
  }

  /** Start a root process (the CLI's `aos spawn`). */
  async spawn(options: SpawnOptions): Promise<Pcb> {
    const caps = options.capabilities ? this.rootCaps.intersect(options.capabilities) : this.rootCaps;
    const model = normalizeModel(options.model, options.cwd ?? this.options.cwd ?? process.cwd());
    const role = options.role ?? 'assistant';
    return this.create(null, { ...options, role, name: options.name ?? 'root', model }, caps);
  }

  /**
   * SPAWN_AGENT: the child holds the intersection of its parent's and the requested capabilities,
   * and its parent's model unless the parent may choose another (model-choice.ts).
   */
  spawnChild(parent: Proc, request: SpawnRequest): Pcb | Promise<Pcb> {
    let live = 0;
    for (const pid of parent.children) if (this.procs.has(pid)) live++;
    if (live >= param.maxChildren) throw new AosError('EAGAIN', `too many running children (limit ${param.maxChildren})`);
    const caps = parent.caps.intersect(request.capabilities ?? parent.caps.list);
    // Like capabilities, a child never gets more than its parent: no higher priority either.
    const priority = Math.min(request.priority ?? parent.pcb.priority, parent.pcb.priority);
    const make = (model: string): Pcb | Promise<Pcb> => this.create(parent, { ...request, name: request.name ?? request.role, model, priority }, caps);
    // A child on its parent's model needs no choice: the common spawn stays synchronous.
    if (!request.model || request.model === parent.pcb.model) return make(parent.pcb.model);
    return chooseChildModel({ model: parent.pcb.model, caps: parent.caps }, request.model, this).then(make);
  }

  /** Synchronous when the model is loaded already; else after it loads. */
  private create(parent: Proc | null, req: SpawnRequestOf, caps: CapabilitySet): Pcb | Promise<Pcb> {
    if (this.closing) throw new AosError('EAGAIN', 'the kernel is shutting down');
    this.disk.refuseNewWork('spawn');
    if (this.procs.size >= param.maxProcesses) throw new AosError('EAGAIN', `process table full (${param.maxProcesses})`);
    if (parent && this.depthOf(parent) >= param.maxTreeDepth) {
      throw new AosError('EAGAIN', `process tree too deep (limit ${param.maxTreeDepth})`);
    }
    const priority = req.priority ?? parent?.pcb.priority ?? param.defaultPriority;
    if (!Number.isInteger(priority) || priority < param.minPriority || priority > param.maxPriority) {
      throw new AosError('EINVAL', `priority must be an integer from ${param.minPriority} to ${param.maxPriority}`);
    }
    const loaded = this.models.loaded(req.model);
    if (loaded) return this.insert(parent, req, caps, priority, loaded);
    return this.models.get(req.model).then((driver) => this.insert(parent, req, caps, priority, driver));
  }

  private insert(parent: Proc | null, req: SpawnRequestOf, caps: CapabilitySet, priority: number, driver: ModelDriver): Pcb {
    const contextTokens = contextBudget(req.model, driver, req.contextTokens, parent?.pcb.limits.contextTokens);
    // The parent may have been killed (or the kernel stopped) while the model loaded: nothing runs under a killed parent.
    if (this.closing) throw new AosError('EAGAIN', 'the kernel is shutting down');
    if (parent && (parent.killRequested || isEnded(parent.pcb.state))) {
      throw new AosError('ESRCH', `process ${parent.pid} is being killed: no child is started under it`);
    }
    const pipeTo = req.pipeTo ?? null;
    if (parent && pipeTo !== null) this.mailboxes.liveTarget(parent, pipeTo, 'pipe to');
    const pid = this.nextPid++;
    this.store.setMeta('next_pid', this.nextPid);
    const pcb: Pcb = {
      pid,
      ppid: parent?.pid ?? 0,
      name: req.name,
      role: req.role,
      task: req.task,
      model: req.model,
      priority,
      capabilities: caps.list,
      pipeTo,
      createdAt: Date.now(),
      state: 'ready',
      startedAt: null,
      endedAt: null,
      exitCode: null,
      exitReason: null,
      output: null,
      counters: emptyCounters(),
      limits: {
        maxTurns: Math.min(req.maxTurns ?? param.maxTurns, parent?.pcb.limits.maxTurns ?? Infinity),
        maxTokens: tighter(req.maxTokens, parent?.pcb.limits.maxTokens),
        maxCost: tighter(req.maxCost, parent?.pcb.limits.maxCost),
        maxWallS: tighter(req.maxWallS, parent?.pcb.limits.maxWallS),
        contextTokens,
      },
      wait: null,
    };
    const proc = new Proc(pcb, caps, parent?.tree ?? pid);
    this.procs.set(pid, proc);
    parent?.children.add(pid);
    this.appendTranscript(proc, 'user', taskMessage(pcb));
    this.armWallTimer(proc);
    this.persist(proc);
    this.events.emit({
      type: 'state',
      pid,
      from: null,
      to: 'ready',
      reason: parent ? `spawned by ${parent.pid}` : 'spawned',
      name: pcb.name,
      ppid: pcb.ppid,
      role: pcb.role,
      model: pcb.model,
    });
    this.enqueue(proc);
    return pcb;
  }

  private depthOf(proc: Proc): number {
    let depth = 0;
    for (let p: Proc | undefined = proc; p && p.pcb.ppid; p = this.procs.get(p.pcb.ppid)) depth++;
    return depth;
  }

  /** Kill a process (and by default its subtree). Returns the pids that were live and are now being killed. */
  kill(pid: number, options: { tree?: boolean } = {}): number[] {
    const target = this.procs.get(pid);
    if (!target) {
      if (this.endedPcb(pid)) return [];
      throw new AosError('ESRCH', `no such process ${pid}`);
    }
    const victims = options.tree === false ? [target] : this.subtree(target);
    const killed: number[] = [];
    for (const proc of victims) {
      if (isEnded(proc.pcb.state) || proc.killRequested) continue;
      this.requestKill(proc, proc === target ? 'killed' : `killed with its ancestor ${pid}`);
      killed.push(proc.pid);
    }
    return killed;
  }

  subtree(root: Proc): Proc[] {
    const out: Proc[] = [];
    const stack = [root];
    while (stack.length) {
      const proc = stack.pop() as Proc;
      out.push(proc);
      for (const child of proc.children) {
        const c = this.procs.get(child);
        if (c) stack.push(c);
      }
    }
    return out;
  }

  /** xv6's kill: mark, abort what is in flight, and let the turn loop reap it. */
  private requestKill(proc: Proc, reason: string, state: 'killed' | 'exited' = 'killed', code = 137): void {
    proc.killRequested = { reason, state, code };
    proc.abort.abort(new AosError('EINTR', reason));
    // A queued process is in no turn that could reap it.
    if (this.scheduler.remove(proc.pid) || proc.idle) this.finish(proc, state, code, reason);
  }

  /** Count a model call's usage, as the provider reported it (never guessed). */
  account(proc: Proc, usage: ModelUsage | undefined): void {
    if (!usage) return;
    const c = proc.pcb.counters;
    c.promptTokens += usage.prompt;
    c.outputTokens += usage.output;
    c.cachedTokens += usage.cached ?? 0;
    c.cost += costOf(proc.pcb.model, usage);
  }

  /** A crossed budget ends the process (exit code 1) the way a kill does: wherever it is. */
  endForBudget(proc: Proc, reason: string): void {
    if (isEnded(proc.pcb.state) || proc.killRequested) return;
    this.requestKill(proc, reason, 'exited', 1);
  }

  /** The reason a process has crossed its token or cost budget, if it has. */
  budgetExceeded(proc: Proc): string | null {
    const { counters: c, limits } = proc.pcb;
    const tokens = c.promptTokens + c.outputTokens;
    if (limits.maxTokens !== null && tokens > limits.maxTokens) return `token budget exhausted (${tokens} of ${limits.maxTokens} tokens used)`;
    if (limits.maxCost !== null && c.cost > limits.maxCost) return `cost budget exhausted ($${c.cost.toFixed(4)} of $${limits.maxCost})`;
    return null;
  }

  /** Arm the wall-time budget (at spawn, and again after a restart). */
  armWallTimer(proc: Proc): void {
    const limit = proc.pcb.limits.maxWallS;
    if (limit === null || isEnded(proc.pcb.state)) return;
    const left = proc.pcb.createdAt + limit * 1000 - Date.now();
    proc.wallTimer = setTimeout(() => this.endForBudget(proc, `wall time budget exhausted (${limit}s)`), Math.max(0, left));
  }

  /** Resolves when the process has ended. */
  waitExit(pid: number): Promise<Pcb> {
    const proc = this.procs.get(pid);
    if (!proc) {
      const ended = this.endedPcb(pid);
      if (ended) return Promise.resolve(ended);
      return Promise.reject(new AosError('ESRCH', `no such process ${pid}`));
    }
    if (isEnded(proc.pcb.state)) return Promise.resolve(proc.pcb);
    return new Promise((resolve) => {
      const list = this.exitWaiters.get(pid) ?? [];
      list.push(resolve);
      this.exitWaiters.set(pid, list);
    });
  }

  /** Kill everything still alive and wait for it to be reaped (the in-process CLI's exit). */
  async shutdown(): Promise<void> {
    const live = [...this.procs.values()].filter((p) => !isEnded(p.pcb.state));
    for (const proc of live) if (!proc.killRequested) this.requestKill(proc, 'kernel shutting down');
    await Promise.all(live.map((p) => this.waitExit(p.pid)));
    this.webhooks.closeAll();
    await this.gateway?.close();
    await this.memoryStore?.close().catch(() => undefined);
    await this.psAll.close();
    this.store.setMeta(RUNNING_KEY, '0');
    this.store.close();
  }

  /** The daemon is dying of an error raised while working for `pid`: the next start charges the crash to it alone. */
  noteCrash(pid: number | null): void {
    if (pid === null || this.closing) return;
    this.store.setMeta(CRASH_SUSPECT_KEY, pid);
    this.store.flush();
  }

  /**
   * Stop without ending any process: commit, close the store, and abort what is in flight so
   * nothing more runs. The next kernel on this store resumes every process where it was.
   */
  async close(options: { crashed?: boolean; backup?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.scheduler.stop();
    this.webhooks.closeAll();
    const gatewayClosed = this.gateway?.close();
    // After a crash the store keeps saying a kernel was running: the next start counts the crash.
    if (!options.crashed) this.store.setMeta(RUNNING_KEY, '0');
    this.store.flush();
    if (options.backup && this.store.healthy) {
      await this.store.backup().catch((error: unknown) => this.log('warn', `no backup of the store: ${(error as Error).message}`));
    }
    this.store.close();
    for (const proc of this.procs.values()) {
      proc.clearTimers();
      if (!proc.abort.signal.aborted) proc.abort.abort(new AosError('EINTR', 'kernel stopping'));
    }
    await gatewayClosed;
    await this.memoryStore?.close().catch(() => undefined);
    await this.psAll.close();
    await new Promise((resolve) => setImmediate(resolve));
  }

  // ---- hooks for the turn loop, recovery and the syscall services ----

  persist(proc: Proc): void {
    this.store.saveProcess(proc.pid, () => proc.toRecord());
  }

  appendTranscript(proc: Proc, role: 'user' | 'model', text: string): void {
    const seq = proc.nextSeq++;
    proc.transcript.push({ role, text, seq });
    this.store.putTranscript(proc.pid, seq, role, text);
  }

  /** Rewrite the last transcript entry (notices joining the latest kernel message). */
  amendTranscript(proc: Proc, text: string): void {
    const entry = proc.transcript[proc.transcript.length - 1];
    if (!entry) return;
    entry.text = text;
    this.store.putTranscript(proc.pid, entry.seq, entry.role, text);
  }

  setState(proc: Proc, to: ProcState, extra: { reason?: string; code?: number } = {}): void {
    const from = proc.pcb.state;
    if (from === to) return;
    proc.pcb.state = to;
    this.persist(proc);
    this.events.emit({ type: 'state', pid: proc.pid, from, to, ...extra });
  }

  park(proc: Proc, spec: WaitSpec): Promise<WakeReason> {
    const promise = proc.park(spec);
    const what = spec.kind === 'child' ? 'a child' : spec.kind === 'msg' ? 'a message' : 'stdin';
    const reason = spec.kind === 'sleep' ? `sleeping ${spec.seconds}s` : `waiting for ${what}`;
    this.setState(proc, spec.kind === 'sleep' ? 'sleeping' : 'blocked', { reason });
    return promise.then((wake) => {
      if (!proc.killRequested && !this.closing) this.setState(proc, 'running', { reason: `woken: ${wake}` });
      return wake;
    });
  }

  /** Queue a notice for the process's next turn; timers and webhooks also interrupt a blocking call. */
  notify(proc: Proc, notice: Notice): void {
    if (isEnded(proc.pcb.state)) return;
    proc.notices.push(notice);
    this.persist(proc);
    if (notice.kind === 'timer' || notice.kind === 'webhook') proc.wake('interrupt');
  }

  allowsPrivateAddress(ip: string, port: number): boolean {
    return opensPrivateAddress(this.options.netAllowPrivate ?? [], ip, port);
  }

  /** `aos send`: write to a process's stdin from outside (pid 0). */
  send(pid: number, text: string): void {
    const target = this.procs.get(pid);
    if (!target || isEnded(target.pcb.state)) throw new AosError('ESRCH', `no such running process ${pid}`);
    this.mailboxes.writeStdin(target, text, 0);
  }

  /** End a process: the one place a PCB leaves the living. */
  finish(proc: Proc, state: 'exited' | 'killed', code: number, reason: string, result: string | null = null): void {
    const pcb = proc.pcb;
    if (isEnded(pcb.state) || this.closing) return;
    this.scheduler.forget(pcb.pid);
    proc.clearTimers();
    this.store.deleteTimers(pcb.pid);
    proc.wake('interrupt');
    if (!proc.abort.signal.aborted) proc.abort.abort(new AosError('EINTR', reason));
    pcb.exitCode = code;
    pcb.exitReason = reason;
    pcb.endedAt = Date.now();
    pcb.output = result ?? (proc.stdout || null);
    pcb.wait = null;
    proc.pending = null;
    this.store.clearTurnResults(pcb.pid);
    this.store.deleteMessages([...proc.mailbox, ...proc.stdin].map((m) => m.id));
    this.setState(proc, state, { reason, code });
    this.webhooks.processEnded(pcb.pid);
    this.disk.forget(proc);
    this.evict(proc);
    this.notifyParent(proc);
    const waiters = this.exitWaiters.get(pcb.pid);
    this.exitWaiters.delete(pcb.pid);
    for (const resolve of waiters ?? []) resolve(pcb);
  }

  /**
   * An ended process leaves memory at once: its history is in the store, its PCB in a bounded cache
   * for the WAIT or CLI that asks next, its totals in the kernel's.
   */
  private evict(proc: Proc): void {
    const { pcb } = proc;
    this.procs.delete(pcb.pid);
    this.ended.set(pcb.pid, pcb);
    const a = this.archived;
    a[pcb.state === 'killed' ? 'killed' : 'exited']++;
    a.promptTokens += pcb.counters.promptTokens;
    a.outputTokens += pcb.counters.outputTokens;
    a.cost += pcb.counters.cost;
    proc.release();
  }

  /** Removed from the store (rm, prune): out of the cache and the kernel's totals too. */
  forgetEnded(rows: readonly ProcessSummary[]): void {
    const a = this.archived;
    for (const r of rows) {
      this.ended.delete(r.pid);
      if (r.state !== 'exited' && r.state !== 'killed') continue;
      a[r.state]--;
      a.promptTokens -= r.prompt_tokens;
      a.outputTokens -= r.output_tokens;
      a.cost -= r.cost;
    }
  }

  /** A parent's WAIT took this child's exit: it is never reported to the parent again, even after a restart. */
  reap(parent: Proc, childPid: number): void {
    parent.children.delete(childPid);
    parent.dropNotices('child_exit', childPid);
    this.store.markReaped(childPid);
    this.persist(parent);
  }

  private notifyParent(child: Proc): void {
    const parent = this.procs.get(child.pcb.ppid);
    if (!parent || isEnded(parent.pcb.state)) return;
    const wait = parent.pcb.wait;
    if (wait?.kind === 'child' && (wait.pid === null || wait.pid === child.pid)) {
      parent.wake('ready');
      return;
    }
    const { pcb } = child;
    const payload = { pid: pcb.pid, name: pcb.name, exit_code: pcb.exitCode, reason: pcb.exitReason, output: pcb.output };
    this.notify(parent, { kind: 'child_exit', pid: pcb.pid, text: formatEvent('CHILD_EXIT', payload) });
  }

  makeReady(proc: Proc): void {
    if (this.closing) return;
    if (this.disk.hold(proc)) return;
    this.setState(proc, 'ready');
    this.enqueue(proc);
  }

  /** Back from a disk-full hold. */
  private requeue(proc: Proc): void {
    proc.diskWait = false;
    this.makeReady(proc);
  }

  /** Into its model's run queue, with a token estimate for the pool's per-minute budgets. */
  private enqueue(proc: Proc): void {
    if (this.disk.hold(proc)) return;
    const { pcb } = proc;
    const c = pcb.counters;
    const estimate = c.turns > 0 ? Math.ceil((c.promptTokens + c.outputTokens) / c.turns) : param.firstTurnTokenEstimate;
    this.scheduler.enqueue(pcb.pid, pcb.priority, pcb.model, estimate);
  }

  private startTurn(pid: number, lease: Lease): void {
    const proc = this.procs.get(pid);
    if (!proc || isEnded(proc.pcb.state) || this.closing) {
      this.scheduler.release(lease);
      return;
    }
    void runTurn(this, proc, lease);
  }
}
