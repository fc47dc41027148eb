/**
 * `aos logs` without a pid: the newest events of every process (or of a unit's runs, logs-unit.ts),
 * then (with -f) every new one until Ctrl-C.
 */
import type { KernelClient } from '../client/client.js';
import type { KernelEvent } from '../protocol/events.js';
import { EXIT } from './fail.js';
import type { EventPrinter } from './follow.js';
import { cutsByTime, eventsFor, windowEvents, type Window } from './log-window.js';
import { untilInterrupted } from './interrupt.js';
import type { LogScope } from './logs-unit.js';

/** The most a history request may ask for (the protocol's bound). */
const MAX_TAIL = 1_000_000;

async function history(
  client: KernelClient,
  window: Window,
  printer: EventPrinter,
  scope: LogScope,
): Promise<KernelEvent[]> {
  const prints = (e: KernelEvent): boolean => scope.keeps(e) && printer.line(e) !== null;
  const fetch = async (tail: number): Promise<readonly KernelEvent[]> => {
    const { procs, events } = await client.request('history', { tail });
    scope.seed(procs);
    return events;
  };
  const tail =
    window.tail !== undefined && !cutsByTime(window) ? await eventsFor(window.tail, fetch, prints) : MAX_TAIL;
  const { procs, events } = await client.request('history', { tail: Math.min(tail, MAX_TAIL) });
  printer.seed(procs);
  scope.seed(procs);
  const shown = windowEvents(events, window, prints);
  for (const event of shown) if (scope.keeps(event)) printer.print(event);
  return events;
}

export async function printAllLogs(
  client: KernelClient,
  follow: boolean,
  window: Window,
  printer: EventPrinter,
  scope: LogScope,
): Promise<number> {
  if (!follow) {
    await history(client, window, printer, scope);
    return EXIT.ok;
  }
  // Subscribed before the history is read: an event in between is pushed, and dropped below if the history had it.
  const { pushes } = await client.stream('subscribe', { topics: ['events'] });
  return untilInterrupted(pushes, async () => {
    const past = await history(client, window, printer, scope);
    const last = past[past.length - 1]?.ts ?? '';
    const seen = new Set(past.filter((e) => e.ts === last).map((e) => JSON.stringify(e)));
    for await (const push of pushes) {
      if (push.event !== 'event') continue;
      const event = push.payload;
      if (event.ts < last || (event.ts === last && seen.has(JSON.stringify(event)))) continue;
      if (scope.keeps(event)) printer.print(event);
    }
    return undefined;
  });
}
