/**
 * The one fake TopSource: an in-memory kernel view for `aos top`. Tests drive it by hand (rows,
 * emit, the recorded calls); top-script.ts drives it as a little scripted kernel for the demo.
 */
import type { EventInput, KernelEvent } from '../../protocol/events.js';
import { isEnded, PROC_STATES, type ProcState } from '../../sys/types.js';
import type { KernelStats, ProcRow } from '../../protocol/views.js';
import type { TopHandlers, TopSource, UnitRow } from '../../cmd/top/source.js';
import type { ProcDetail } from '../../protocol/detail.js';

export const T0 = Date.parse('2025-01-01T00:00:00.000Z');

/** The log a scripted kernel keeps is bounded, as the daemon's is. */
const LOG_MAX = 5000;

export function row(pid: number, over: Partial<ProcRow> = {}): ProcRow {
  return {
    pid,
    ppid: 0,
    name: `p${pid}`,
    role: 'worker',
    state: 'ready',
    model: 'replay:/tapes/demo.yaml',
    priority: 0,
    turns: 0,
    syscalls: 0,
    prompt_tokens: 0,
    output_tokens: 0,
    tokens: 0,
    cost: 0,
    created_at: T0,
    started_at: null,
    ended_at: null,
    age_s: 0,
    exit_code: null,
    exit_reason: null,
    wait: null,
    ...over,
  };
}

/** Every state counted 0. */
export function stateCounts(): Record<ProcState, number> {
  return Object.fromEntries(PROC_STATES.map((s) => [s, 0])) as Record<ProcState, number>;
}

export function stats(over: Partial<KernelStats> = {}): KernelStats {
  return {
    pid: 4242,
    uptime_s: 192,
    version: '0.1.0',
    processes: stateCounts(),
    active_inferences: 1,
    max_inferences: 8,
    queue_depth: 3,
    prompt_tokens: 1000,
    output_tokens: 234,
    cost: 0.0123,
    rss_bytes: 45 * 1024 * 1024,
    heap_used_bytes: 20 * 1024 * 1024,
    rate_limits: [],
    providers: [],
    webhook_url: null,
    ...over,
  };
}

export function ev(e: EventInput, at = T0): KernelEvent {
  return { ts: new Date(at).toISOString(), ...e } as KernelEvent;
}

export class FakeTopSource implements TopSource {
  kills: Array<[number, boolean]> = [];
  processCalls: boolean[] = [];
  historyCalls: number[] = [];
  unsubscribed = 0;
  private readonly listeners = new Set<TopHandlers>();
  private down: Error | null = null;

  constructor(
    public rows: ProcRow[] = [],
    public kernelStats: KernelStats = stats(),
    public logs: KernelEvent[] = [],
  ) {}

  /** The latest subscriber's handlers; null when nobody is subscribed. */
  get handlers(): TopHandlers | null {
    return [...this.listeners].at(-1) ?? null;
  }

  async snapshot(): Promise<{ processes: ProcRow[]; stats: KernelStats }> {
    this.check();
    return { processes: this.rows.filter((r) => !isEnded(r.state)), stats: this.kernelStats };
  }

  subscribe(handlers: TopHandlers): () => void {
    this.listeners.add(handlers);
    return () => {
      this.unsubscribed++;
      this.listeners.delete(handlers);
    };
  }

  async processes(all: boolean): Promise<ProcRow[]> {
    this.check();
    this.processCalls.push(all);
    return this.rows.filter((r) => all || !isEnded(r.state));
  }

  async history(pid: number, tail: number): Promise<KernelEvent[]> {
    this.check();
    this.historyCalls.push(pid);
    return this.logs.filter((e) => e.pid === pid).slice(-tail);
  }

  /** Ends the live processes of the subtree (or the one) as the kernel does, and reports their pids. */
  inspectCalls: number[] = [];

  /** `aos inspect`'s answer, made from the row (task and limits invented, as a kernel would hold them). */
  async inspect(pid: number): Promise<ProcDetail> {
    this.check();
    this.inspectCalls.push(pid);
    const row = this.rows.find((r) => r.pid === pid);
    if (!row) throw new Error(`no such process ${pid}`);
    return {
      row,
      status: row.state,
      task: `the task of ${row.name}`,
      capabilities: ['fs.read:/**', 'ipc'],
      workdir: '/',
      cached_tokens: 0,
      limits: {
        max_turns: 50,
        max_tokens: null,
        max_cost: 2,
        max_wall_s: null,
        context_tokens: 32_000,
        max_children: 64,
        max_live_descendants: null,
      },
      live_descendants: 0,
      children: this.rows
        .filter((r) => r.ppid === pid)
        .map((r) => ({ pid: r.pid, name: r.name, state: r.state, status: r.state })),
    };
  }

  /** The kernel's units, as unit_ls answers; each read counted. */
  unitRows: UnitRow[] = [];
  unitCalls = 0;

  async units(): Promise<UnitRow[]> {
    this.check();
    this.unitCalls++;
    return this.unitRows.map((u) => ({ ...u }));
  }

  async kill(pid: number, tree: boolean): Promise<number[]> {
    this.check();
    this.kills.push([pid, tree]);
    if (!this.find(pid)) throw new Error(`no such process ${pid}`);
    const killed = (tree ? this.subtree(pid) : [pid]).filter((p) => !isEnded(this.find(p)?.state ?? 'exited'));
    for (const p of killed) this.end(p, 'killed', 137, p === pid ? 'killed' : `killed with its ancestor ${pid}`);
    return killed;
  }

  find(pid: number): ProcRow | undefined {
    return this.rows.find((r) => r.pid === pid);
  }

  /** A live event on the bus only (not in the history), as one that raced a history read. */
  emit(event: KernelEvent): void {
    this.listeners.forEach((l) => l.onEvent(event));
  }

  /** An event the kernel logs (history) and pushes live. */
  publish(input: EventInput): void {
    const event = { ts: new Date().toISOString(), ...input } as KernelEvent;
    this.logs.push(event);
    if (this.logs.length > LOG_MAX) this.logs.splice(0, 1000);
    this.emit(event);
  }

  pushStats(): void {
    this.listeners.forEach((l) => l.onStats(this.kernelStats));
  }

  /** The kernel goes away: subscribers get the error, every later call throws it. */
  fail(error: Error): void {
    this.down = error;
    this.listeners.forEach((l) => l.onError(error));
  }

  end(pid: number, to: 'exited' | 'killed', code: number, reason: string): void {
    const r = this.find(pid);
    if (!r) return;
    this.publish({ type: 'state', pid, from: r.state, to, code, reason });
    Object.assign(r, { state: to, ended_at: Date.now(), exit_code: code, exit_reason: reason });
  }

  private check(): void {
    if (this.down) throw this.down;
  }

  private subtree(pid: number): number[] {
    const out = [pid];
    for (let i = 0; i < out.length; i++) for (const r of this.rows) if (r.ppid === out[i]) out.push(r.pid);
    return out;
  }
}
