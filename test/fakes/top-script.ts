/**
 * A scripted little kernel playing on a FakeTopSource, for the dashboard demo (top-demo.ts): a
 * root spawning workers that think, call and exit. Costs come from the kernel's own price table.
 */
import { costOf, DEFAULT_PRICES } from '../../drivers/llm/prices.js';
import { isEnded, type ProcState } from '../../sys/types.js';
import type { KernelStats } from '../../protocol/views.js';
import { FakeTopSource, stateCounts } from './top-source.js';

export interface TopScriptOptions {
  /** How often the script advances. */
  stepMs?: number;
  seed?: number;
  /** Simulate the kernel going away after this long (the banner). */
  failAfterMs?: number;
}

export interface TopScript {
  readonly source: FakeTopSource;
  stop(): void;
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

const WORKERS = 4;
const SLOTS = 4;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts the script on `source` (a fresh one by default); it runs until stop() or the simulated failure. */
export function playTopScript(options: TopScriptOptions = {}, source = new FakeTopSource()): TopScript {
  const script = new Script(source, options);
  return { source, stop: () => script.stop() };
}

class Script {
  private readonly agents = new Map<number, Agent>();
  private readonly rnd: () => number;
  private readonly startedAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private nextPid = 1;

  constructor(
    private readonly source: FakeTopSource,
    private readonly options: TopScriptOptions,
  ) {
    this.rnd = random(options.seed ?? 7);
    this.step(Date.now());
    this.start();
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
    every(1000, () => this.source.pushStats());
    if (this.options.failAfterMs !== undefined) {
      setTimeout(() => {
        this.stop();
        this.source.fail(new Error('connect ECONNREFUSED ~/.aos/kernel.sock (kernel stopped)'));
      }, this.options.failAfterMs).unref();
    }
  }

  private between(min: number, max: number): number {
    return Math.round(min + this.rnd() * (max - min));
  }

  private spawn(ppid: number, name: string, model: string, calls: readonly string[], turns: number): void {
    const pid = this.nextPid++;
    const now = Date.now();
    this.source.rows.push({
      pid,
      ppid,
      name,
      role: name,
      state: 'ready',
      model,
      priority: 0,
      turns: 0,
      syscalls: 0,
      prompt_tokens: 0,
      output_tokens: 0,
      tokens: 0,
      cost: 0,
      created_at: now,
      started_at: null,
      ended_at: null,
      age_s: 0,
      exit_code: null,
      exit_reason: null,
      wait: null,
    });
    this.agents.set(pid, { phase: 'ready', nextAt: now + this.between(100, 600), turnsLeft: turns, calls });
    this.source.publish({ type: 'state', pid, from: null, to: 'ready', name, ppid, role: name, model });
  }

  private setState(pid: number, to: ProcState, reason?: string): void {
    const row = this.source.find(pid);
    if (!row || row.state === to) return;
    this.source.publish({ type: 'state', pid, from: row.state, to, ...(reason ? { reason } : {}) });
    row.state = to;
    if (to === 'running') row.started_at ??= Date.now();
  }

  private step(now: number): void {
    // A process the source killed has left the script.
    for (const pid of this.agents.keys())
      if (isEnded(this.source.find(pid)?.state ?? 'exited')) this.agents.delete(pid);
    if (this.live() === 0) this.spawn(0, 'root', 'replay:examples/hello-loop.yaml', ['SPAWN_AGENT', 'WAIT'], 1_000_000);
    let slots = SLOTS - this.source.rows.filter((r) => r.state === 'running').length;
    for (const [pid, agent] of this.agents) {
      if (agent.nextAt > now) continue;
      if (agent.phase === 'waiting') this.setState(pid, 'ready');
      if (agent.phase === 'running') this.reply(pid, agent, now);
      else if (slots > 0) {
        slots--;
        this.source.publish({
          type: 'prompt',
          pid,
          turn: this.source.find(pid)?.turns ?? 0,
          text: 'kernel: results of your last calls',
        });
        this.setState(pid, 'running');
        Object.assign(agent, { phase: 'running', nextAt: now + this.between(500, 2500) });
      } else agent.phase = 'ready';
    }
    for (const r of this.source.rows) r.age_s = Math.round(((r.ended_at ?? now) - r.created_at) / 1000);
    this.source.kernelStats = this.stats();
  }

  private reply(pid: number, agent: Agent, now: number): void {
    const row = this.source.find(pid);
    if (!row) return;
    const usage = { prompt: this.between(600, 4000), output: this.between(40, 500) };
    const turn = row.turns;
    const call = agent.calls[turn % agent.calls.length] ?? 'SYS_EXIT';
    this.source.publish({
      type: 'model',
      pid,
      turn,
      text: `Thinking about step ${turn + 1}. [SYS_CALL::${call}] {…}`,
      usage,
    });
    Object.assign(row, {
      turns: turn + 1,
      prompt_tokens: row.prompt_tokens + usage.prompt,
      output_tokens: row.output_tokens + usage.output,
      tokens: row.tokens + usage.prompt + usage.output,
      cost: row.cost + costOf(row.model, usage, DEFAULT_PRICES),
    });
    agent.turnsLeft--;
    if (agent.turnsLeft <= 0) {
      this.agents.delete(pid);
      return this.source.end(
        pid,
        'exited',
        row.name === 'critic' ? 1 : 0,
        row.name === 'critic' ? 'SYS_EXIT code 1' : 'SYS_EXIT',
      );
    }
    this.source.publish({ type: 'syscall', pid, turn, seq: 0, name: call, args: { demo: true } });
    row.syscalls++;
    this.result(pid, turn, call);
    const roll = this.rnd();
    const [phase, state, wait] =
      roll < 0.6
        ? (['ready', 'ready', 200] as const)
        : roll < 0.8
          ? (['waiting', 'blocked', 2500] as const)
          : (['waiting', 'sleeping', 3500] as const);
    this.setState(pid, state, state === 'blocked' ? 'RECV_MSG' : state === 'sleeping' ? 'SLEEP' : undefined);
    Object.assign(agent, { phase, nextAt: now + this.between(wait / 2, wait) });
  }

  private result(pid: number, turn: number, call: string): void {
    if (call === 'SPAWN_AGENT' && this.live() < WORKERS + 1) {
      const cast = CAST[(this.nextPid - 2) % CAST.length] ?? CAST[0];
      this.spawn(pid, cast.name, cast.model, cast.calls, this.between(3, 8));
      this.source.publish({
        type: 'result',
        pid,
        turn,
        seq: 0,
        name: call,
        ok: true,
        value: { pid: this.nextPid - 1 },
      });
    } else if (call === 'NET_FETCH' && this.rnd() < 0.3) {
      this.source.publish({
        type: 'result',
        pid,
        turn,
        seq: 0,
        name: call,
        ok: false,
        errno: 'EACCES',
        message: 'host not allowed by policy',
      });
    } else {
      this.source.publish({ type: 'result', pid, turn, seq: 0, name: call, ok: true, value: { demo: 'ok' } });
    }
  }

  private live(): number {
    return this.source.rows.filter((r) => !isEnded(r.state)).length;
  }

  private stats(): KernelStats {
    const processes = stateCounts();
    let prompt = 0;
    let output = 0;
    let cost = 0;
    for (const r of this.source.rows) {
      processes[r.state]++;
      prompt += r.prompt_tokens;
      output += r.output_tokens;
      cost += r.cost;
    }
    const mem = process.memoryUsage();
    const rpmLeft = 60 - processes.running * 3;
    return {
      pid: process.pid,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      version: 'demo',
      processes,
      active_inferences: processes.running,
      max_inferences: SLOTS,
      queue_depth: processes.ready,
      prompt_tokens: prompt,
      output_tokens: output,
      cost,
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      webhook_url: null,
      rate_limits: [{ provider: 'gemini', rpm_left: rpmLeft, tpm_left: 1_000_000 - output }],
      providers: [
        {
          provider: 'gemini',
          limit: SLOTS,
          adaptive: true,
          in_flight: processes.running,
          queued: processes.ready,
          retrying: 0,
          rpm_left: rpmLeft,
          tpm_left: 1_000_000 - output,
          throttled: 0,
        },
      ],
    };
  }
}
