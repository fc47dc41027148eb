/**
 * Which history `aos logs` prints: `--since` (a duration ago or a time) and `--tail N` counting
 * the lines shown, not the events fetched (quiet events are hidden unless --verbose).
 */
import type { KernelEvent } from '../protocol/events.js';
import { parseDuration } from '../protocol/duration.js';
import { CliError } from './fail.js';

/** `10m` (ago) or an ISO time → the ISO time events must be at or after. */
export function sinceTime(text: string, now = Date.now()): string {
  if (/^\s*\d+(\.\d+)?\s*[smhdw]?\s*$/.test(text)) return new Date(now - parseDuration(text, '--since')).toISOString();
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new CliError(`--since must be a duration like 10m or 2h, or a time like 2026-01-31T12:00 (got "${text}")`);
  return new Date(at).toISOString();
}

export interface Window {
  since?: string;
  /** Lines (not events) to keep. */
  tail?: number;
}

/** The history's events that print, cut to the window; `line` says which events print a line. */
export function windowEvents(events: readonly KernelEvent[], window: Window, prints: (e: KernelEvent) => boolean): KernelEvent[] {
  const after = window.since === undefined ? events : events.filter((e) => e.ts >= (window.since as string));
  if (window.tail === undefined) return [...after];
  let kept = 0;
  let from = after.length;
  while (from > 0 && kept < window.tail) {
    from--;
    if (prints(after[from] as KernelEvent)) kept++;
  }
  return after.slice(from);
}

/**
 * How many events to fetch so that `want` of them print: grow the request until enough print or
 * the history runs out (a verbose or --json view prints every event: `want` is enough).
 */
export async function eventsFor(want: number, fetch: (tail: number) => Promise<readonly KernelEvent[]>, prints: (e: KernelEvent) => boolean): Promise<number> {
  for (let tail = Math.max(64, want * 4); ; tail *= 4) {
    const events = await fetch(tail);
    if (events.length < tail || events.filter(prints).length >= want) return tail;
  }
}
