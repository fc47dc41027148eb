/** An in-memory TopSource playing a scripted little kernel (a root spawning workers that think, call and exit). */
import type { EventInput, KernelEvent } from '../../kernel/wire/events.js';
import { isEnded, PROC_STATES, type ProcState } from '../../kernel/types.js';
import type { KernelStats, ProcRow } from '../../kernel/wire/views.js';
import type { TopHandlers, TopSource } from '../../cmd/top/source.js';

export interface DemoOptions {
  /** How often the script advances. */
  stepMs?: number;
  seed?: number;
  /** Simulate the kernel going away after this long (the banner). */
  failAfterMs?: number;
}

interface Agent {
  phase: 'ready' | 'running' | 'waiting';
  nextAt: number;
  turnsLeft: number;
  calls: readonly string[];
}

const CAST = [
  { name: 'researcher', model: 'gemini:gemini-2.5-flash', calls: ['NET_FETCH', 'MEM_WRITE', 'MEM_READ'] },
  { name: 'writer', model: 'openai:llama3.1:8b', calls: ['FS_WRITE', 'FS_READ', 'SYS_WRITE_STDOUT'] },
  { name: 'coder', model: 'gemini:gemini-2.5-pro', calls: ['EXEC_CMD', 'FS_WRITE', 'FS_LIST'] },
  { name: 'critic', model: 'replay:examples/critic.yaml', calls: ['FS_READ', 'SEND_MSG'] },
] as const;

/** USD per million prompt / output tokens. */
const PRICE: Record<string, [number, number]> = { 'gemini-2.5-flash': [0.3, 2.5], 'gemini-2.5-pro': [1.25, 10] };
const WORKERS = 4;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class DemoSource implements TopSource {
  private readonly rows = new Map<number, ProcRow>();
  private readonly agents = new Map<number, Agent>();
  private readonly log: KernelEvent[] = [];
  private readonly listeners = new Set<TopHandlers>();
  private readonly rnd: () => number;
  private readonly startedAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private nextPid = 1;
  private down: Error | null = null;

  constructor(private readonly options: DemoOptions = {}) {
    this.rnd = random(options.seed ?? 7);
    this.step(Date.now());
  }

  async snapshot(): Promise<{ processes: ProcRow[]; stats: KernelStats }> {
    return { processes: await this.processes(false), stats: this.stats() };
  }

  subscribe(handlers: TopHandlers): () => void {
    this.listeners.add(handlers);
    if (this.timers.length === 0) this.start();
    return () => {
      this.listeners.delete(handlers);
      if (this.listeners.size === 0) this.stop();
    };
  }

  async processes(all: boolean): Promise<ProcRow[]> {
    this.check();
    const now = Date.now();
    return [...this.rows.values()]
      .filter((r) => all || !isEnded(r.state))
      .map((r) => ({ ...r, age_s: Math.round(((r.ended_at ?? now) - r.created_at) / 1000) }));
  }

  async history(pid: number, tail: number): Promise<KernelEvent[]> {
    this.check();
    return this.log.filter((e) => e.pid === pid).slice(-tail);
  }

  async kill(pid: number, tree: boolean): Promise<number[]> {
    this.check();
    if (!this.rows.has(pid)) throw new Error(`no such process ${pid}`);
    const victims = tree ? this.subtree(pid) : [pid];
    const killed = victims.filter((p) => !isEnded(this.rows.get(p)?.state ?? 'exited'));
    for (const p of killed) this.finish(p, 'killed', 137, p === pid ? 'killed' : `killed with its ancestor ${pid}`);
    return killed;
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private start(): void {
    const every = (ms: number, fn: () => void): void => {
      const timer = setInterval(fn, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.stepMs ?? 200, () => this.step(Date.now()));
    every(1000, () => this.listeners.forEach((l) => l.onStats(this.stats())));
    if (this.options.failAfterMs !== undefined) {
      setTimeout(() => {
        this.down = new Error('connect ECONNREFUSED ~/.aos/kernel.sock (kernel stopped)');
        this.stop();
        this.listeners.forEach((l) => l.onError(this.down as Error));
      }, this.options.failAfterMs).unref();
    }
  }

  private check(): void {
    if (this.down) throw this.down;
  }

  private emit(input: EventInput): void {
    const event = { ts: new Date().toISOString(), ...input } as KernelEvent;
    this.log.push(event);
    if (this.log.length > 5000) this.log.splice(0, 1000);
    this.listeners.forEach((l) => l.onEvent(event));
  }

  private between(min: number, max: number): number {
    return Math.round(min + this.rnd() * (max - min));
  }

  private spawn(ppid: number, name: string, model: string, calls: readonly string[], turns: number): void {
    const pid = this.nextPid++;
    const now = Date.now();
    this.rows.set(pid, {
      pid, ppid, name, role: name, state: 'ready', model, priority: 0, turns: 0, syscalls: 0, prompt_tokens: 0,
      output_tokens: 0, tokens: 0, cost: 0, created_at: now, started_at: null, ended_at: null, age_s: 0,
      exit_code: null, exit_reason: null, wait: null,
    });
    this.agents.set(pid, { phase: 'ready', nextAt: now + this.between(100, 600), turnsLeft: turns, calls });
    this.emit({ type: 'state', pid, from: null, to: 'ready', name, ppid, role: name, model });
  }

  private setState(pid: number, to: ProcState, reason?: string): void {
    const row = this.rows.get(pid);
    if (!row || row.state === to) return;
    this.emit({ type: 'state', pid, from: row.state, to, ...(reason ? { reason } : {}) });
    row.state = to;
    if (to === 'running') row.started_at ??= Date.now();
  }

  private finish(pid: number, to: 'exited' | 'killed', code: number, reason: string): void {
    const row = this.rows.get(pid);
    if (!row) return;
    this.emit({ type: 'state', pid, from: row.state, to, code, reason });
    Object.assign(row, { state: to, ended_at: Date.now(), exit_code: code, exit_reason: reason });
    this.agents.delete(pid);
  }

  private step(now: number): void {
    if (this.live() === 0) this.spawn(0, 'root', 'replay:examples/hello-loop.yaml', ['SPAWN_AGENT', 'WAIT'], 1_000_000);
    const running = [...this.rows.values()].filter((r) => r.state === 'running').length;
    let slots = 4 - running;
    for (const [pid, agent] of this.agents) {
      if (agent.nextAt > now) continue;
      if (agent.phase === 'waiting') this.setState(pid, 'ready');
      if (agent.phase === 'running') this.reply(pid, agent, now);
      else if (slots > 0) {
        slots--;
        const row = this.rows.get(pid);
        this.emit({ type: 'prompt', pid, turn: row?.turns ?? 0, text: 'kernel: results of your last calls' });
        this.setState(pid, 'running');
        Object.assign(agent, { phase: 'running', nextAt: now + this.between(500, 2500) });
      } else agent.phase = 'ready';
    }
  }

  private reply(pid: number, agent: Agent, now: number): void {
    const row = this.rows.get(pid);
    if (!row) return;
    const usage = { prompt: this.between(600, 4000), output: this.between(40, 500) };
    const turn = row.turns;
    const call = agent.calls[turn % agent.calls.length] ?? 'SYS_EXIT';
    this.emit({ type: 'model', pid, turn, text: `Thinking about step ${turn + 1}. [SYS_CALL::${call}] {…}`, usage });
    const [inPrice, outPrice] = PRICE[row.model.split(':')[1] ?? ''] ?? [0, 0];
    Object.assign(row, {
      turns: turn + 1,
      prompt_tokens: row.prompt_tokens + usage.prompt,
      output_tokens: row.output_tokens + usage.output,
      tokens: row.tokens + usage.prompt + usage.output,
      cost: row.cost + (usage.prompt * inPrice + usage.output * outPrice) / 1e6,
    });
    agent.turnsLeft--;
    if (agent.turnsLeft <= 0) return this.finish(pid, 'exited', row.name === 'critic' ? 1 : 0, row.name === 'critic' ? 'SYS_EXIT code 1' : 'SYS_EXIT');
    this.emit({ type: 'syscall', pid, turn, seq: 0, name: call, args: { demo: true } });
    row.syscalls++;
    if (call === 'SPAWN_AGENT' && this.live() < WORKERS + 1) {
      const cast = CAST[(this.nextPid - 2) % CAST.length] ?? CAST[0];
      this.spawn(pid, cast.name, cast.model, cast.calls, this.between(3, 8));
      this.emit({ type: 'result', pid, turn, seq: 0, name: call, ok: true, value: { pid: this.nextPid - 1 } });
    } else if (call === 'NET_FETCH' && this.rnd() < 0.3) {
      this.emit({ type: 'result', pid, turn, seq: 0, name: call, ok: false, errno: 'EACCES', message: 'host not allowed by policy' });
    } else {
      this.emit({ type: 'result', pid, turn, seq: 0, name: call, ok: true, value: { demo: 'ok' } });
    }
    const roll = this.rnd();
    const [phase, state, wait] = roll < 0.6 ? (['ready', 'ready', 200] as const) : roll < 0.8 ? (['waiting', 'blocked', 2500] as const) : (['waiting', 'sleeping', 3500] as const);
    this.setState(pid, state, state === 'blocked' ? 'RECV_MSG' : state === 'sleeping' ? 'SLEEP' : undefined);
    Object.assign(agent, { phase, nextAt: now + this.between(wait / 2, wait) });
  }

  private live(): number {
    return [...this.rows.values()].filter((r) => !isEnded(r.state)).length;
  }

  private subtree(pid: number): number[] {
    const out = [pid];
    for (let i = 0; i < out.length; i++) for (const r of this.rows.values()) if (r.ppid === out[i]) out.push(r.pid);
    return out;
  }

  private stats(): KernelStats {
    const processes = Object.fromEntries(PROC_STATES.map((s) => [s, 0])) as Record<ProcState, number>;
    let prompt = 0;
    let output = 0;
    let cost = 0;
    for (const r of this.rows.values()) {
      processes[r.state]++;
      prompt += r.prompt_tokens;
      output += r.output_tokens;
      cost += r.cost;
    }
    const mem = process.memoryUsage();
    return {
      pid: process.pid, uptime_s: Math.round((Date.now() - this.startedAt) / 1000), version: 'demo', processes,
      active_inferences: processes.running, max_inferences: 4, queue_depth: processes.ready, prompt_tokens: prompt,
      output_tokens: output, cost, rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, webhook_url: null,
      rate_limits: [{ provider: 'gemini', rpm_left: 60 - processes.running * 3, tpm_left: 1_000_000 - output }],
      providers: [{
        provider: 'gemini', limit: 4, adaptive: true, in_flight: processes.running, queued: processes.ready, retrying: 0,
        rpm_left: 60 - processes.running * 3, tpm_left: 1_000_000 - output, throttled: 0,
      }],
    };
  }
}

export function createDemoSource(options: DemoOptions = {}): DemoSource {
  return new DemoSource(options);
}
