/** Printing a process's log stream (`aos logs`, attached `aos spawn`): history, then live events. */
import type { KernelClient } from '../client/client.js';
import type { KernelEvent } from '../protocol/events.js';
import type { TextPiece } from '../protocol/live-text.js';
import type { EndPayload, ParamsOf } from '../protocol/protocol.js';
import type { ProcRow } from '../protocol/views.js';
import { EventRenderer } from './render.js';
import { cutVisible, painter, useColor } from './style.js';
import { ThinkingLine } from './thinking.js';
import { type Window, windowEvents } from './log-window.js';
import { isTerminal, out, stream, terminalColumns } from './out.js';

export interface PrintOptions {
  json: boolean;
  verbose: boolean;
  /** Show who waits on a model (attached spawn, attach), on a terminal only. */
  thinking?: boolean;
  /** Prefix each human line with its time (`logs -t`). */
  timestamps?: boolean;
}

/** One line per event: the KernelEvent as JSON, or a human line (some events are quiet unless verbose). */
export class EventPrinter {
  private readonly renderer: EventRenderer | null;
  private readonly thinking: ThinkingLine | null;
  /** A terminal's width cuts each line (a wrapped line breaks the thinking line's erase); a pipe gets whole lines. */
  private readonly width: number | null;
  /** Human lines printed so far (`logs --tail` counts them). */
  printed = 0;

  constructor(private readonly options: PrintOptions) {
    const tty = isTerminal(1);
    this.width = tty && !options.verbose ? (terminalColumns(1) ?? 80) : null;
    this.renderer = options.json
      ? null
      : new EventRenderer({ paint: painter(useColor()), verbose: options.verbose, width: terminalColumns(1) ?? 120 });
    this.thinking = options.thinking && tty && !options.json ? new ThinkingLine(stream(1)) : null;
    this.thinking?.start();
  }

  /** The human line of an event, or null when it is quiet (not verbose). */
  line(event: KernelEvent): string | null {
    if (!this.renderer) return JSON.stringify(event);
    const line = this.renderer.render(event);
    if (line === null) return null;
    const stamped = this.options.timestamps ? `${event.ts} ${line}` : line;
    return this.width === null ? stamped : cutVisible(stamped, this.width);
  }

  /** Whether it shows replies as they are written (a terminal's live lines): ask for `text` pushes then. */
  get takesText(): boolean {
    return this.thinking !== null;
  }

  /** A piece of a reply being written: the live lines show its newest words. */
  text(piece: TextPiece): void {
    this.thinking?.text(piece);
    this.thinking?.draw();
  }

  close(): void {
    this.thinking?.stop();
  }

  seed(procs: readonly ProcRow[]): void {
    for (const proc of procs) this.renderer?.nameProcess(proc.pid, proc.name);
  }

  print(event: KernelEvent): void {
    const line = this.line(event);
    this.thinking?.clear();
    if (line !== null) {
      out(`${line}\n`);
      this.printed++;
    }
    this.thinking?.observe(event);
    this.thinking?.draw();
  }
}

export interface FollowOutcome {
  /** How the process ended; null when the stream stopped first (not following, or interrupted). */
  end: EndPayload | null;
  interrupted: boolean;
}

/**
 * Print a process's history and, with `follow`, its live events until it ends. Ctrl-C stops
 * following (the process keeps running) and calls `onInterrupt`.
 */
export async function printLogs(
  client: KernelClient,
  params: ParamsOf<'logs'>,
  printer: EventPrinter,
  onInterrupt: () => void = () => undefined,
  window: Window = {},
): Promise<FollowOutcome> {
  let interrupted = false;
  let stop = (): void => undefined;
  // Listen before anything is printed: a Ctrl-C right after the first line must detach, not kill.
  const onSigint = (): void => {
    interrupted = true;
    onInterrupt();
    stop();
  };
  process.once('SIGINT', onSigint);
  try {
    const { result, pushes } = await client.stream(
      'logs',
      params.follow && printer.takesText ? { ...params, text: true } : params,
    );
    stop = () => void pushes.return();
    if (interrupted) stop();
    printer.seed(result.procs);
    for (const event of windowEvents(result.events, window, (e) => printer.line(e) !== null)) printer.print(event);
    for await (const push of pushes) {
      if (push.event === 'log') printer.print(push.payload);
      else if (push.event === 'text') printer.text(push.payload);
      else if (push.event === 'end') return { end: push.payload, interrupted };
    }
    return { end: null, interrupted };
  } finally {
    process.off('SIGINT', onSigint);
  }
}
