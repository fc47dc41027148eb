/**
 * The composition root: opens the store and the drivers, wires the process table, the scheduler,
 * IPC and the turn loop together, and implements the process API (proc/api.ts) by handing each
 * call to the module that owns it. The kernel opens no listener: the daemon attaches the webhook
 * gateway through `options.gateway`.
 */
import { type MemoryOptions, openMemory, withMemoryDefaults } from '../drivers/memory/open-memory.js';
import type { MemoryStore } from '../drivers/memory/memory-store.js';
import { ModelRegistry } from '../drivers/llm/registry.js';
import type { ModelUsage } from '../drivers/llm/types.js';
import { TapeReader } from '../drivers/llm/workspace-tapes.js';
import { WorkspaceFs } from '../drivers/fs/workspace-fs.js';
import { syscallReference } from '../syscalls/reference.js';
import type { SpawnRequest } from '../syscalls/services.js';
import { AosError } from './errno.js';
import { Mailboxes } from './ipc/mailboxes.js';
import { Webhooks, type WebhookListener } from './ipc/webhooks.js';
import { kernelStats } from './kernel-stats.js';
import { CRASH_SUSPECT_KEY, recover, RUNNING_KEY } from './loop/recovery.js';
import { runTurn } from './loop/turn.js';
import { param } from './param.js';
import type { LogLevel, ProcCore } from './proc/api.js';
import { account, armWallTimer, budgetExceeded } from './proc/budgets.js';
import { CapabilitySet } from './proc/capabilities.js';
import { endForBudget, endForKernelError, kill, requestKill } from './proc/kill.js';
import { finish, makeReady, notify, park, reap, setState, waitExit } from './proc/lifecycle.js';
import { opensPrivateAddress } from './proc/policy.js';
import { Approvals } from './proc/approvals.js';
import { gateFor } from './proc/call-gate.js';
import { EMPTY_SAFETY, type SafetyPolicy } from './proc/policy-rules.js';
import type { CallGate } from './loop/dispatcher.js';
import { ApprovalsTable } from './store/approvals-table.js';
import { SecretBox } from './proc/secrets.js';
import type { GateCall, GateOutcome } from './loop/dispatcher.js';
import { AuditTrail } from './store/audit.js';
import { Journal } from './store/journal.js';
import { journalHook } from './proc/journal-hook.js';
import { ProcServices } from './proc/proc-services.js';
import type { Notice, Proc, WakeReason } from './proc/proc.js';
import { type SpawnCore, type SpawnOptions, spawnChild, spawnRoot } from './proc/spawn.js';
import { ProcTable } from './proc/table.js';
import { amendTranscript, appendTranscript, persist } from './proc/transcript.js';
import { type LaneLimits, type Lease, ModelPool } from './sched/model-pool.js';
import { Scheduler } from './sched/scheduler.js';
import { DiskGuard } from './store/disk-guard.js';
import { recordEvent, recordWriteError } from './store/faults.js';
import { PsAll } from './store/ps-all.js';
import { parseDuration, startRetention } from './store/retention.js';
import { Store } from './store/store.js';
import { isEnded, type Pcb, type ProcState, type WaitSpec } from './types.js';
import { EventBus, type KernelEvent } from './wire/events.js';
import type { KernelStats, ProcRow } from './wire/views.js';

export { KERNEL_VERSION } from './version.js';
export type { SpawnOptions } from './proc/spawn.js';
export type KernelLog = (level: LogLevel, message: string) => void;

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
  /** Opens the webhook gateway for these routes (the daemon's HTTP listener); no gateway when absent. */
  gateway?: (routes: Webhooks) => Promise<WebhookListener>;
  /** How long a webhook request waits for SYS_WEBHOOK_REPLY (default param.webhookReplyTimeoutMs). */
  webhookReplyTimeoutMs?: number;
  /** Ended processes older than this are pruned from the store (at start, then hourly); kept forever when absent. */
  retentionMs?: number;
  /** MEM_WRITE / MEM_READ: a Chroma data dir (started lazily, supervised) or CHROMA_URL; memory is unavailable (EIO) when absent. */
  memory?: MemoryOptions;
  /** The policy's rules, approvals and secrets (issue 12); none when absent. */
  safety?: SafetyPolicy;
  /** The policy's secrets with their values (SecretBox.load); none when absent. */
  secrets?: SecretBox;
}

export class Kernel implements ProcCore, SpawnCore {
  readonly events = new EventBus();
  readonly table: ProcTable;
  readonly models: ModelRegistry;
  readonly tapes: TapeReader;
  readonly scheduler: Scheduler;
  readonly pool: ModelPool;
  readonly mailboxes: Mailboxes;
  readonly webhooks: Webhooks;
  readonly disk: DiskGuard;
  readonly psAll: PsAll;
  readonly rootCaps: CapabilitySet;
  readonly cwd: string;
  readonly startedAt = Date.now();
  readonly safety: SafetyPolicy;
  readonly audit: AuditTrail;
  readonly approvals: Approvals;
  readonly secrets: SecretBox;
  readonly journal: Journal;
  closing = false;
  gateway: WebhookListener | null = null;
  memory: MemoryStore | null = null;
  private stopRetention: () => void = () => undefined;

  private constructor(
    readonly fs: WorkspaceFs,
    readonly store: Store,
    private readonly options: KernelOptions,
  ) {
    this.table = new ProcTable(store);
    this.rootCaps = new CapabilitySet(options.rootCapabilities);
    this.cwd = options.cwd ?? process.cwd();
    this.mailboxes = new Mailboxes(this);
    this.webhooks = new Webhooks(this, options.webhookReplyTimeoutMs ?? param.webhookReplyTimeoutMs);
    this.disk = new DiskGuard(store, { setState: (proc, to, extra) => this.setState(proc, to, extra), requeue: (proc) => this.requeue(proc) });
    this.events.subscribe((event) => recordEvent(this, event));
    store.hooks = {
      onWriteError: (pid, error) => recordWriteError(this, pid, error),
      onHealth: (healthy) => this.disk.onHealth(healthy),
      log: (level, message) => this.log(level, message),
    };
    this.tapes = new TapeReader(fs, param.replayMaxTapeBytes);
    this.models = new ModelRegistry({ modelTimeoutMs: options.modelTimeoutMs, readTape: (file) => this.tapes.read(file) });
    this.pool = new ModelPool({ limits: options.modelLimits ?? {}, ...options.modelRetry });
    this.psAll = new PsAll({ store, inline: () => this.processes({ all: true }), maxPid: () => this.table.nextPid - 1 });
    this.scheduler = new Scheduler((pid, lease) => this.startTurn(pid, lease), this.pool);
    this.safety = options.safety ?? EMPTY_SAFETY;
    this.audit = new AuditTrail(store);
    this.secrets = options.secrets ?? SecretBox.empty();
    this.journal = new Journal(store);
    // The policy's journal.retention bounds the journal: older entries go at start (and with each rollback's commit).
    if (this.safety.journalRetention) this.journal.prune(Date.now() - parseDuration(this.safety.journalRetention, 'journal.retention'));
    this.approvals = new Approvals(this, new ApprovalsTable(store), this.audit, this.safety.approvalTimeoutS);
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
    // Built now (~10 ms of zod's JSON Schema work), not on the first process's first turn.
    syscallReference();
    const kernel = new Kernel(fs, Store.open(options.storeFile ?? ':memory:'), options);
    kernel.memory = options.memory ? openMemory(withMemoryDefaults(options.memory)) : null;
    try {
      if (options.gateway) kernel.gateway = await options.gateway(kernel.webhooks);
    } catch (error) {
      kernel.store.close();
      throw error;
    }
    recover(kernel);
    if (options.retentionMs !== undefined) kernel.stopRetention = startRetention(kernel, options.retentionMs);
    return kernel;
  }

  /** The daemon's log, or nowhere. */
  log(level: LogLevel, message: string): void {
    this.options.log?.(level, message);
  }

  /** `http://127.0.0.1:<port>` of the webhook gateway, or null when it is not running. */
  get gatewayUrl(): string | null {
    return this.gateway?.url ?? null;
  }

  /** Totals of processes that ended and left the table. */
  get archived(): ProcTable['archived'] {
    return this.table.archived;
  }

  stats(): KernelStats {
    return kernelStats(this);
  }

  // ---- the process table ----
  proc = (pid: number): Proc | undefined => this.table.get(pid);
  endedPcb = (pid: number): Pcb | undefined => this.table.endedPcb(pid);
  pcb = (pid: number): Pcb | undefined => this.table.pcb(pid);
  list = (): Pcb[] => this.table.list();
  processes = (options: { all?: boolean; last?: number } = {}): ProcRow[] => this.table.rows(options);
  tree = (pid: number, options: { tree?: boolean } = {}): ProcRow[] => this.table.tree(pid, options);
  history = (pid: number, options: { tail?: number; tree?: boolean } = {}): KernelEvent[] => this.table.history(pid, options);
  waitExit = (pid: number): Promise<Pcb> => waitExit(this, pid);

  // ---- the process API (proc/api.ts) ----
  spawn = (options: SpawnOptions): Promise<Pcb> => spawnRoot(this, options);
  spawnChild = (parent: Proc, request: SpawnRequest): Pcb | Promise<Pcb> => spawnChild(this, parent, request);
  kill = (pid: number, options: { tree?: boolean } = {}): number[] => kill(this, pid, options);
  persist = (proc: Proc): void => persist(this.store, proc);
  appendTranscript = (proc: Proc, role: 'user' | 'model', text: string): void => appendTranscript(this.store, proc, role, text);
  amendTranscript = (proc: Proc, text: string): void => amendTranscript(this.store, proc, text);
  setState = (proc: Proc, to: ProcState, extra: { reason?: string; code?: number } = {}): void => setState(this, proc, to, extra);
  park = (proc: Proc, spec: WaitSpec): Promise<WakeReason> => park(this, proc, spec);
  notify = (proc: Proc, notice: Notice): void => notify(this, proc, notice);
  makeReady = (proc: Proc): void => makeReady(this, proc);
  finish = (proc: Proc, state: 'exited' | 'killed', code: number, reason: string, result: string | null = null): void =>
    finish(this, proc, state, code, reason, result);
  reap = (parent: Proc, childPid: number): void => reap(this, parent, childPid);
  account = (proc: Proc, usage: ModelUsage | undefined): void => account(proc, usage);
  budgetExceeded = (proc: Proc): string | null => budgetExceeded(proc);
  endForBudget = (proc: Proc, reason: string): void => endForBudget(this, proc, reason);
  endForKernelError = (proc: Proc, error: unknown): void => endForKernelError(this, proc, error);
  armWallTimer = (proc: Proc): void => armWallTimer(this, proc);
  commitBarrier = (proc: Proc): Promise<void> => this.disk.commit(proc);
  processEnded = (pid: number): void => this.webhooks.processEnded(pid);
  liveTarget = (from: Proc, pid: number, verb: string): Proc => this.mailboxes.liveTarget(from, pid, verb);
  forgetEnded: ProcTable['forgetEnded'] = (rows) => this.table.forgetEnded(rows);
  services = (proc: Proc, resumeDeadline: number | null): ProcServices => new ProcServices(this, proc, resumeDeadline);
  gate = (proc: Proc): CallGate => gateFor(this, proc);
  journalCall = (proc: Proc, call: GateCall): ReturnType<typeof journalHook> => journalHook(this, proc, call);
  // With secrets configured, every result is masked: a value an exec wrote to a file may come back through FS_READ.
  withSecrets = (_proc: Proc, call: GateCall): GateOutcome =>
    this.secrets.size === 0 ? { args: call.args } : { after: (value: unknown) => this.secrets.mask(value), ...this.secrets.substitute(call) };
  allowsPrivateAddress = (ip: string, port: number): boolean => opensPrivateAddress(this.options.netAllowPrivate ?? [], ip, port);

  /** `aos send`: write to a process's stdin from outside (pid 0). */
  send(pid: number, text: string): void {
    const target = this.table.get(pid);
    if (!target || isEnded(target.pcb.state)) throw new AosError('ESRCH', `no such running process ${pid}`);
    this.mailboxes.writeStdin(target, text, 0);
  }

  /** The daemon is dying of an error raised while working for `pid`: the next start charges the crash to it alone. */
  noteCrash(pid: number | null): void {
    if (pid === null || this.closing) return;
    this.store.setMeta(CRASH_SUSPECT_KEY, pid);
    this.store.flush();
  }

  /** Kill everything still alive and wait for it to be reaped (the in-process CLI's exit). */
  async shutdown(): Promise<void> {
    const live = [...this.table.procs()].filter((p) => !isEnded(p.pcb.state));
    for (const proc of live) if (!proc.killRequested) requestKill(this, proc, 'kernel shutting down');
    await Promise.all(live.map((p) => this.waitExit(p.pid)));
    this.webhooks.closeAll();
    await this.gateway?.close();
    await this.memory?.close().catch(() => undefined);
    await this.psAll.close();
    this.store.setMeta(RUNNING_KEY, '0');
    this.store.close();
  }

  /**
   * Stop without ending any process: commit, close the store, and abort what is in flight so
   * nothing more runs. The next kernel on this store resumes every process where it was.
   */
  async close(options: { crashed?: boolean; backup?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopRetention();
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
    for (const proc of this.table.procs()) {
      proc.clearTimers();
      if (!proc.abort.signal.aborted) proc.abort.abort(new AosError('EINTR', 'kernel stopping'));
    }
    await gatewayClosed;
    await this.memory?.close().catch(() => undefined);
    await this.psAll.close();
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Back from a disk-full hold. */
  private requeue(proc: Proc): void {
    proc.diskWait = false;
    this.makeReady(proc);
  }

  private startTurn(pid: number, lease: Lease): void {
    const proc = this.table.get(pid);
    if (!proc || isEnded(proc.pcb.state) || this.closing) {
      this.scheduler.release(lease);
      return;
    }
    void runTurn(this, proc, lease);
  }
}
