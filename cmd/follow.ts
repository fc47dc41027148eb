/** Printing a process's log stream (`aos logs`, attached `aos spawn`): history, then live events. */
import type { KernelClient } from '../kernel/client/client.js';
import type { KernelEvent } from '../kernel/wire/events.js';
import type { EndPayload, ParamsOf } from '../kernel/wire/protocol.js';
import type { ProcRow } from '../kernel/wire/views.js';
import { EventRenderer } from './render.js';
import { painter, useColor } from './style.js';

export interface PrintOptions {
  json: boolean;
  verbose: boolean;
}

/** One line per event: the KernelEvent as JSON, or a human line (some events are quiet unless verbose). */
export class EventPrinter {
  private readonly renderer: EventRenderer | null;

  constructor(options: PrintOptions) {
    this.renderer = options.json
      ? null
      : new EventRenderer({ paint: painter(useColor()), verbose: options.verbose, width: process.stdout.columns || 120 });
  }

  seed(procs: readonly ProcRow[]): void {
    for (const proc of procs) this.renderer?.nameProcess(proc.pid, proc.name);
  }

  print(event: KernelEvent): void {
    const line = this.renderer ? this.renderer.render(event) : JSON.stringify(event);
    if (line !== null) process.stdout.write(`${line}\n`);
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
    const { result, pushes } = await client.stream('logs', params);
    stop = () => void pushes.return();
    if (interrupted) stop();
    printer.seed(result.procs);
    for (const event of result.events) printer.print(event);
    for await (const push of pushes) {
      if (push.event === 'log') printer.print(push.payload);
      else if (push.event === 'end') return { end: push.payload, interrupted };
    }
    return { end: null, interrupted };
  } finally {
    process.off('SIGINT', onSigint);
  }
}
