/**
 * An attached spawn's "thinking" line: which processes wait on their model, for how long, and a
 * retry's wait. Drawn on a terminal only, under the event lines, and erased before each of them.
 */
import type { KernelEvent } from '../protocol/events.js';
import { describeRetry } from './render.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Redraws per second: the seconds count and the spinner move, nothing more. */
const REDRAW_MS = 200;

interface Working {
  since: number;
  retry: string | null;
}

export interface LineOut {
  write(text: string): unknown;
  columns?: number;
}

export class ThinkingLine {
  private readonly working = new Map<number, Working>();
  private readonly names = new Map<number, string>();
  private frame = 0;
  private shown = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: LineOut,
    private readonly now: () => number = Date.now,
  ) {}

  /** Track who is waiting on a model: a turn starts with `running` and no reason (a wake-up has one). */
  observe(event: KernelEvent): void {
    if (event.type === 'state') {
      if (event.from === null && event.name) this.names.set(event.pid, event.name);
      if (event.to === 'running' && !event.reason) this.working.set(event.pid, { since: this.now(), retry: null });
      else this.working.delete(event.pid);
    } else if (event.type === 'model') {
      this.working.delete(event.pid);
    } else if (event.type === 'retry') {
      const w = this.working.get(event.pid);
      if (w) w.retry = describeRetry(event);
    }
  }

  /** Erase the line (before an event line is printed). */
  clear(): void {
    if (this.shown) this.out.write('\r\u001b[K');
    this.shown = false;
  }

  draw(): void {
    this.clear();
    if (this.working.size === 0) return;
    const parts = [...this.working].map(([pid, w]) => {
      const secs = Math.floor((this.now() - w.since) / 1000);
      return `${this.names.get(pid) ?? pid} ${secs}s${w.retry ? ` (${w.retry})` : ''}`;
    });
    const text = `${FRAMES[this.frame++ % FRAMES.length]} thinking: ${parts.join(', ')}`;
    const width = (this.out.columns ?? 80) - 1;
    this.out.write(text.length > width ? `${text.slice(0, width - 1)}…` : text);
    this.shown = true;
  }

  start(): void {
    this.timer ??= setInterval(() => this.draw(), REDRAW_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.working.clear();
    this.clear();
  }
}
