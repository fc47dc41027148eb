/**
 * An attached spawn's live lines: which processes wait on their model, for how long, a retry's
 * wait, and — as a reply streams in — the newest words of what each model is writing. Drawn on a
 * terminal only, under the event lines, and erased before each of them; the turn's `model` event
 * line is the reply that counts.
 */
import type { KernelEvent } from '../protocol/events.js';
import type { TextPiece } from '../protocol/live-text.js';
import { describeRetry } from './render.js';
import { cutEnd, cutStart, displayWidth } from './text-width.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Redraws per second: the seconds count and the spinner move, nothing more. */
const REDRAW_MS = 200;
/** Writing processes shown a line each; the rest are counted. */
const MAX_LINES = 4;
/** What is kept of a reply being written: enough for the widest line. */
const KEEP_CHARS = 2_000;

interface Working {
  since: number;
  retry: string | null;
  /** The reply so far, flattened to one line (its newest part). */
  text: string;
}

export interface LineOut {
  write(text: string): unknown;
  columns?: number;
}

export class ThinkingLine {
  private readonly working = new Map<number, Working>();
  private readonly names = new Map<number, string>();
  private frame = 0;
  /** Lines on screen now (0: nothing drawn). */
  private shown = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: LineOut,
    private readonly now: () => number = Date.now,
  ) {}

  /** Track who is waiting on a model: a turn starts with `running` and no reason (a wake-up has one). */
  observe(event: KernelEvent): void {
    if (event.type === 'state') {
      if (event.from === null && event.name) this.names.set(event.pid, event.name);
      if (event.to === 'running' && !event.reason)
        this.working.set(event.pid, { since: this.now(), retry: null, text: '' });
      else this.working.delete(event.pid);
    } else if (event.type === 'model') {
      this.working.delete(event.pid);
    } else if (event.type === 'retry') {
      const w = this.working.get(event.pid);
      if (w) {
        w.retry = describeRetry(event);
        w.text = ''; // the next attempt writes the reply anew
      }
    }
  }

  /** A piece of a reply being written. */
  text(piece: TextPiece): void {
    let w = this.working.get(piece.pid);
    if (!w) {
      w = { since: this.now(), retry: null, text: '' };
      this.working.set(piece.pid, w);
    }
    w.retry = null;
    w.text = `${w.text}${piece.text.replace(/\s+/g, ' ')}`.slice(-KEEP_CHARS);
  }

  /** Erase the lines (before an event line is printed). */
  clear(): void {
    if (this.shown === 0) return;
    this.out.write(`\r\u001b[K${'\u001b[1A\u001b[K'.repeat(this.shown - 1)}`);
    this.shown = 0;
  }

  draw(): void {
    this.clear();
    if (this.working.size === 0) return;
    const width = (this.out.columns ?? 80) - 1;
    const frame = FRAMES[this.frame++ % FRAMES.length] as string;
    const entries = [...this.working];
    const label = (pid: number, w: Working): string =>
      `${this.names.get(pid) ?? pid} ${Math.floor((this.now() - w.since) / 1000)}s`;
    if (!entries.some(([, w]) => w.text !== '')) {
      const parts = entries.map(([pid, w]) => `${label(pid, w)}${w.retry ? ` (${w.retry})` : ''}`);
      this.out.write(cutEnd(`${frame} thinking: ${parts.join(', ')}`, width));
      this.shown = 1;
      return;
    }
    const lines = entries.slice(0, MAX_LINES).map(([pid, w]) => {
      const head = `${frame} ${label(pid, w)} `;
      if (w.text === '') return cutEnd(`${head}${w.retry ? `(${w.retry})` : 'thinking'}`, width);
      const room = width - displayWidth(head) - 2;
      return room < 8 ? cutEnd(head, width) : `${head}▸ ${cutStart(w.text.trimStart(), room)}`;
    });
    if (entries.length > MAX_LINES) lines.push(cutEnd(`  and ${entries.length - MAX_LINES} more at work`, width));
    this.out.write(lines.join('\n'));
    this.shown = lines.length;
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
