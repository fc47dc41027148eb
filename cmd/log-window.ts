/**
 * Which history `aos logs` prints: `--since` and `--until` (a duration ago or a time) and `--tail N`
 * counting the lines shown, not the events fetched (quiet events are hidden unless --verbose).
 */
import type { KernelEvent } from '../protocol/events.js';
import { parseDuration } from '../protocol/duration.js';
import { CliError } from './fail.js';

/** `10m` (ago) or an ISO time → that ISO time; `flag` names the option in a mistake's message. */
export function timeArg(text: string, flag: '--since' | '--until', now = Date.now()): string {
  if (/^\s*\d+(\.\d+)?\s*[smhdw]?\s*$/.test(text)) return new Date(now - parseDuration(text, flag)).toISOString();
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new CliError(`${flag} must be a duration like 10m or 2h, or a time like 2026-01-31T12:00 (got "${text}")`);
  return new Date(at).toISOString();
}

/** The ISO time events must be at or after (`--since`). */
export function sinceTime(text: string, now = Date.now()): string {
  return timeArg(text, '--since', now);
}

export interface Window {
  since?: string;
  /** Events before this ISO time only (`--until`). */
  until?: string;
  /** Lines (not events) to keep. */
  tail?: number;
}

/** The history's events that print, cut to the window; `line` says which events print a line. */
export function windowEvents(
  events: readonly KernelEvent[],
  window: Window,
  prints: (e: KernelEvent) => boolean,
): KernelEvent[] {
  const { since, until } = window;
  const after =
    since === undefined && until === undefined
      ? events
      : events.filter((e) => (since === undefined || e.ts >= since) && (until === undefined || e.ts < until));
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
/** A window that cuts by time: the tail is counted after the cut, so the whole history is fetched. */
export function cutsByTime(window: Window): boolean {
  return window.since !== undefined || window.until !== undefined;
}

export async function eventsFor(
  want: number,
  fetch: (tail: number) => Promise<readonly KernelEvent[]>,
  prints: (e: KernelEvent) => boolean,
): Promise<number> {
  for (let tail = Math.max(64, want * 4); ; tail *= 4) {
    const events = await fetch(tail);
    if (events.length < tail || events.filter(prints).length >= want) return tail;
  }
}
