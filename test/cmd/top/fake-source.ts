/** A TopSource the test drives by hand: push events, stats and errors; inspect kill/processes calls. */
import type { EventInput, KernelEvent } from '../../../kernel/wire/events.js';
import { PROC_STATES, type ProcState } from '../../../kernel/types.js';
import type { KernelStats, ProcRow } from '../../../kernel/wire/views.js';
import type { TopHandlers, TopSource } from '../../../cmd/top/source.js';

export const T0 = Date.parse('2025-01-01T00:00:00.000Z');

export function row(pid: number, over: Partial<ProcRow> = {}): ProcRow {
  return {
    pid, ppid: 0, name: `p${pid}`, role: 'worker', state: 'ready', model: 'replay:/tapes/demo.yaml', priority: 0,
    turns: 0, syscalls: 0, prompt_tokens: 0, output_tokens: 0, tokens: 0, cost: 0, created_at: T0, started_at: null,
    ended_at: null, age_s: 0, exit_code: null, exit_reason: null, wait: null, ...over,
  };
}

export function stats(over: Partial<KernelStats> = {}): KernelStats {
  const processes = Object.fromEntries(PROC_STATES.map((s) => [s, 0])) as Record<ProcState, number>;
  return {
    pid: 4242, uptime_s: 192, version: '0.1.0', processes, active_inferences: 1, max_inferences: 8, queue_depth: 3,
    prompt_tokens: 1000, output_tokens: 234, cost: 0.0123, rss_bytes: 45 * 1024 * 1024, heap_used_bytes: 20 * 1024 * 1024,
    rate_limits: [], providers: [], webhook_url: null, ...over,
  };
}

type Event = KernelEvent;
export function ev(e: EventInput, at = T0): KernelEvent {
  return { ts: new Date(at).toISOString(), ...e } as KernelEvent;
}

export class FakeSource implements TopSource {
  handlers: TopHandlers | null = null;
  kills: Array<[number, boolean]> = [];
  processCalls: boolean[] = [];
  historyCalls: number[] = [];
  unsubscribed = 0;

  constructor(
    public rows: ProcRow[],
    public kernelStats: KernelStats = stats(),
    public logs: Event[] = [],
  ) {}

  async snapshot(): Promise<{ processes: ProcRow[]; stats: KernelStats }> {
    return { processes: this.rows.filter((r) => r.state !== 'exited' && r.state !== 'killed'), stats: this.kernelStats };
  }

  subscribe(handlers: TopHandlers): () => void {
    this.handlers = handlers;
    return () => {
      this.unsubscribed++;
      this.handlers = null;
    };
  }

  async processes(all: boolean): Promise<ProcRow[]> {
    this.processCalls.push(all);
    return this.rows.filter((r) => all || (r.state !== 'exited' && r.state !== 'killed'));
  }

  async history(pid: number, tail: number): Promise<Event[]> {
    this.historyCalls.push(pid);
    return this.logs.filter((e) => e.pid === pid).slice(-tail);
  }

  async kill(pid: number, tree: boolean): Promise<number[]> {
    this.kills.push([pid, tree]);
    return [pid];
  }

  emit(event: Event): void {
    this.handlers?.onEvent(event);
  }
}
