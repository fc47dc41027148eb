/**
 * The kernel: the process table, spawn, kill, and the hooks the turn loop and the syscall
 * services use. Everything a process does is an event on `events`.
 */
import { AosError } from '../drivers/errno.js';
import { WorkspaceFs } from '../drivers/fs/workspace-fs.js';
import type { SpawnRequest } from '../syscalls/services.js';
import { CapabilitySet } from './capabilities.js';
import { formatEvent, taskMessage } from './context.js';
import { EventBus } from './events.js';
import { ModelRegistry, normalizeModel } from './models.js';
import { param } from './param.js';
import { type Notice, Proc, type WakeReason } from './proc.js';
import { Scheduler } from './scheduler.js';
import { runTurn } from './turn.js';
import { emptyCounters, isEnded, type Pcb, type ProcState, type WaitSpec } from './types.js';

export interface KernelOptions {
  /** Host directory agents see as `/`. */
  workspace: string;
  /** Capabilities of a root process (from the policy). */
  rootCapabilities: readonly string[];
  maxConcurrentInferences?: number;
  /** Base for relative model paths (replay tapes). */
  cwd?: string;
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
}

export class Kernel {
  readonly events = new EventBus();
  readonly models = new ModelRegistry();
  readonly scheduler: Scheduler;
  private readonly procs = new Map<number, Proc>();
  private readonly rootCaps: CapabilitySet;
  private readonly exitWaiters = new Map<number, Array<(pcb: Pcb) => void>>();
  private nextPid = 1;
  private liveCount = 0;

  private constructor(
    readonly fs: WorkspaceFs,
    private readonly options: KernelOptions,
  ) {
    this.rootCaps = new CapabilitySet(options.rootCapabilities);
    this.scheduler = new Scheduler(options.maxConcurrentInferences ?? param.maxConcurrentInferences, (pid) =>
      this.startTurn(pid),
    );
  }

  static async create(options: KernelOptions): Promise<Kernel> {
    const fs = await WorkspaceFs.open({
      root: options.workspace,
      maxReadBytes: param.fsMaxReadBytes,
      maxWriteBytes: param.fsMaxWriteBytes,
      maxListEntries: param.fsMaxListEntries,
      maxPathLength: param.fsMaxPathLength,
    });
    return new Kernel(fs, options);
  }

  proc(pid: number): Proc | undefined {
    return this.procs.get(pid);
  }

  list(): Pcb[] {
    return [...this.procs.values()].map((p) => p.pcb);
  }

  /** Start a root process (the CLI's `aos spawn`). */
  spawn(options: SpawnOptions): Promise<Pcb> {
    const caps = options.capabilities ? this.rootCaps.intersect(options.capabilities) : this.rootCaps;
    const model = normalizeModel(options.model, this.options.cwd ?? process.cwd());
    return this.create(null, { ...options, role: options.role ?? 'assistant', name: options.name ?? 'root', model }, caps);
  }

  /** SPAWN_AGENT: the child holds the intersection of its parent's and the requested capabilities. */
  spawnChild(parent: Proc, request: SpawnRequest): Promise<Pcb> {
    const live = [...parent.children].filter((pid) => !isEnded(this.procs.get(pid)?.pcb.state ?? 'exited'));
    if (live.length >= param.maxChildren) {
      return Promise.reject(new AosError('EAGAIN', `too many running children (limit ${param.maxChildren})`));
    }
    const caps = parent.caps.intersect(request.capabilities ?? parent.caps.list);
    const model = request.model ? normalizeModel(request.model, this.options.cwd ?? process.cwd()) : parent.pcb.model;
    return this.create(parent, { ...request, name: request.name ?? request.role, model }, caps);
  }

  private async create(
    parent: Proc | null,
    req: SpawnOptions & { role: string; name: string; pipeTo?: number | null },
    caps: CapabilitySet,
  ): Promise<Pcb> {
    if (this.liveCount >= param.maxProcesses) throw new AosError('EAGAIN', `process table full (${param.maxProcesses})`);
    if (parent && this.depthOf(parent) >= param.maxTreeDepth) {
      throw new AosError('EAGAIN', `process tree too deep (limit ${param.maxTreeDepth})`);
    }
    const priority = req.priority ?? parent?.pcb.priority ?? param.defaultPriority;
    if (!Number.isInteger(priority) || priority < param.minPriority || priority > param.maxPriority) {
      throw new AosError('EINVAL', `priority must be an integer from ${param.minPriority} to ${param.maxPriority}`);
    }
    await this.models.get(req.model);
    const pipeTo = req.pipeTo ?? null;
    if (parent && pipeTo !== null) this.liveTarget(parent, pipeTo, 'pipe to');
    const pid = this.nextPid++;
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
      limits: { maxTurns: Math.min(req.maxTurns ?? param.maxTurns, parent?.pcb.limits.maxTurns ?? Infinity) },
      wait: null,
    };
    const proc = new Proc(pcb, caps, parent?.tree ?? pid);
    proc.transcript.push({ role: 'user', text: taskMessage(pcb) });
    this.procs.set(pid, proc);
    this.liveCount++;
    parent?.children.add(pid);
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
    this.scheduler.enqueue(pid, priority);
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
    if (!target) throw new AosError('ESRCH', `no such process ${pid}`);
    const victims = options.tree === false ? [target] : this.subtree(target);
    const killed: number[] = [];
    for (const proc of victims) {
      if (isEnded(proc.pcb.state) || proc.killRequested) continue;
      this.requestKill(proc, proc === target ? 'killed' : `killed with its ancestor ${pid}`);
      killed.push(proc.pid);
    }
    return killed;
  }

  private subtree(root: Proc): Proc[] {
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
  private requestKill(proc: Proc, reason: string): void {
    proc.killRequested = { reason };
    proc.abort.abort(new AosError('EINTR', reason));
    // A queued process is in no turn that could reap it.
    if (this.scheduler.remove(proc.pid)) this.finish(proc, 'killed', 137, reason);
  }

  /** Resolves when the process has ended. */
  waitExit(pid: number): Promise<Pcb> {
    const proc = this.procs.get(pid);
    if (!proc) return Promise.reject(new AosError('ESRCH', `no such process ${pid}`));
    if (isEnded(proc.pcb.state)) return Promise.resolve(proc.pcb);
    return new Promise((resolve) => {
      const list = this.exitWaiters.get(pid) ?? [];
      list.push(resolve);
      this.exitWaiters.set(pid, list);
    });
  }

  /** Kill everything still alive and wait for it to be reaped. */
  async shutdown(): Promise<void> {
    const live = [...this.procs.values()].filter((p) => !isEnded(p.pcb.state));
    for (const proc of live) if (!proc.killRequested) this.requestKill(proc, 'kernel shutting down');
    await Promise.all(live.map((p) => this.waitExit(p.pid)));
  }

  // ---- hooks for the turn loop and the syscall services ----

  setState(proc: Proc, to: ProcState, extra: { reason?: string; code?: number } = {}): void {
    const from = proc.pcb.state;
    if (from === to) return;
    proc.pcb.state = to;
    this.events.emit({ type: 'state', pid: proc.pid, from, to, ...extra });
  }

  park(proc: Proc, spec: WaitSpec): Promise<WakeReason> {
    const promise = proc.park(spec);
    const reason = spec.kind === 'sleep' ? `sleeping ${spec.seconds}s` : `waiting for ${spec.kind === 'child' ? 'a child' : spec.kind === 'msg' ? 'a message' : 'stdin'}`;
    this.setState(proc, spec.kind === 'sleep' ? 'sleeping' : 'blocked', { reason });
    return promise.then((wake) => {
      if (!proc.killRequested) this.setState(proc, 'running', { reason: `woken: ${wake}` });
      return wake;
    });
  }

  /** Queue a notice for the process's next turn; timers also interrupt a blocking call. */
  notify(proc: Proc, notice: Notice): void {
    if (isEnded(proc.pcb.state)) return;
    proc.notices.push(notice);
    if (notice.kind === 'timer') proc.wake('interrupt');
  }

  /** A live process the caller may talk to: IPC stays inside one process tree. */
  liveTarget(from: Proc, pid: number, verb: string): Proc {
    const target = this.procs.get(pid);
    if (!target || isEnded(target.pcb.state)) throw new AosError('ESRCH', `cannot ${verb} process ${pid}: no such running process`);
    if (target.tree !== from.tree) throw new AosError('EPERM', `cannot ${verb} process ${pid}: it is not in your process tree`);
    return target;
  }

  writeStdin(target: Proc, text: string, fromPid: number): void {
    const buffered = target.stdin.reduce((n, s) => n + s.length, 0);
    if (buffered + text.length > param.maxStdinBytes) {
      throw new AosError('EAGAIN', `process ${target.pid}'s stdin is full (${param.maxStdinBytes} bytes)`);
    }
    target.stdin.push(text);
    this.events.emit({ type: 'message', pid: fromPid || target.pid, from_pid: fromPid, to_pid: target.pid, channel: 'stdin', content: text });
    if (target.pcb.wait?.kind === 'stdin') target.wake('ready');
    else this.notify(target, { kind: 'stdin', pid: fromPid, text: formatEvent('STDIN', { from_pid: fromPid, text, hint: 'SYS_READ_STDIN takes it' }) });
  }

  /** `aos send`: write to a process's stdin from outside (pid 0). */
  send(pid: number, text: string): void {
    const target = this.procs.get(pid);
    if (!target || isEnded(target.pcb.state)) throw new AosError('ESRCH', `no such running process ${pid}`);
    this.writeStdin(target, text, 0);
  }

  addTimer(proc: Proc, seconds: number, prompt: string, repeat: boolean): string {
    if (proc.timers.size >= param.maxTimersPerProcess) {
      throw new AosError('EAGAIN', `too many timers (limit ${param.maxTimersPerProcess})`);
    }
    const id = `t${++proc.timerSeq}`;
    const fire = (): void => {
      if (!repeat) proc.timers.delete(id);
      this.notify(proc, { kind: 'timer', text: formatEvent('TIMER', { timer_id: id, prompt }) });
    };
    const ms = Math.round(seconds * 1000);
    const handle = repeat ? setInterval(fire, ms) : setTimeout(fire, ms);
    proc.timers.set(id, { id, handle, repeat });
    return id;
  }

  /** End a process: the one place a PCB leaves the living. */
  finish(proc: Proc, state: 'exited' | 'killed', code: number, reason: string, result: string | null = null): void {
    const pcb = proc.pcb;
    if (isEnded(pcb.state)) return;
    this.scheduler.remove(pcb.pid);
    proc.clearTimers();
    proc.wake('interrupt');
    if (!proc.abort.signal.aborted) proc.abort.abort(new AosError('EINTR', reason));
    pcb.exitCode = code;
    pcb.exitReason = reason;
    pcb.endedAt = Date.now();
    pcb.output = result ?? (proc.stdout || null);
    this.liveCount--;
    this.setState(proc, state, { reason, code });
    this.notifyParent(proc);
    const waiters = this.exitWaiters.get(pcb.pid);
    this.exitWaiters.delete(pcb.pid);
    for (const resolve of waiters ?? []) resolve(pcb);
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
    this.notify(parent, {
      kind: 'child_exit',
      pid: pcb.pid,
      text: formatEvent('CHILD_EXIT', { pid: pcb.pid, name: pcb.name, exit_code: pcb.exitCode, reason: pcb.exitReason, output: pcb.output }),
    });
  }

  makeReady(proc: Proc): void {
    this.setState(proc, 'ready');
    this.scheduler.enqueue(proc.pid, proc.pcb.priority);
  }

  private startTurn(pid: number): void {
    const proc = this.procs.get(pid);
    if (!proc || isEnded(proc.pcb.state)) {
      this.scheduler.release();
      return;
    }
    void runTurn(this, proc);
  }
}
