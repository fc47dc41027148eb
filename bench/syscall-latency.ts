/**
 * Per-syscall latency from the kernel's event stream: from a call's `syscall` event to its `result`
 * event (a process has one call in flight at a time). WAIT blocks on purpose until a child ends, so
 * its figure is the kernel's part: from the child's exit (or the call, if later) to the result.
 */
import type { EventBus, KernelEvent } from '../protocol/events.js';

export interface LatencyStats {
  calls: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export class LatencyRecorder {
  private readonly started = new Map<number, number>();
  private readonly exitedAt = new Map<number, number>();
  private readonly samples = new Map<string, number[]>();
  /** Inferences seen: the turns the CPU figure is divided by. */
  turns = 0;

  constructor(events: EventBus) {
    events.subscribe((event) => this.observe(event, performance.now()));
  }

  private observe(event: KernelEvent, now: number): void {
    switch (event.type) {
      case 'model':
        this.turns++;
        return;
      case 'syscall':
        this.started.set(event.pid, now);
        return;
      case 'state':
        if (event.to === 'exited' || event.to === 'killed') this.exitedAt.set(event.pid, now);
        return;
      case 'result':
        this.finish(event, now);
        return;
      default:
    }
  }

  private finish(event: Extract<KernelEvent, { type: 'result' }>, now: number): void {
    const start = this.started.get(event.pid);
    if (start === undefined) return;
    this.started.delete(event.pid);
    let from = start;
    if (event.name === 'WAIT' && event.ok) {
      const child = (event.value as { pid?: number } | undefined)?.pid;
      from = Math.max(start, (child !== undefined ? this.exitedAt.get(child) : undefined) ?? start);
    }
    const list = this.samples.get(event.name) ?? [];
    list.push(now - from);
    this.samples.set(event.name, list);
  }

  /** p50/p99/max per syscall name, in ms. */
  stats(): Record<string, LatencyStats> {
    const out: Record<string, LatencyStats> = {};
    for (const [name, list] of this.samples) {
      const sorted = Float64Array.from(list).sort();
      out[name] = {
        calls: sorted.length,
        p50_ms: round(rank(sorted, 0.5)),
        p99_ms: round(rank(sorted, 0.99)),
        max_ms: round(rank(sorted, 1)),
      };
    }
    return out;
  }
}

/** Nearest-rank percentile of a sorted sample. */
function rank(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

function round(ms: number): number {
  return Number(ms.toFixed(4));
}
