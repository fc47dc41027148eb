/**
 * When a time trigger is due. `every` counts from its unit's anchor (when it was added or last
 * enabled), so its due times are the same however often the kernel restarts; `cron` is croner's
 * (time zones and daylight saving included); `at` is due once.
 */
import { Cron } from 'croner';
import type { Trigger } from './trigger-spec.js';

const crons = new Map<string, Cron>();

function cronOf(trigger: Extract<Trigger, { kind: 'cron' }>): Cron {
  const key = `${trigger.cron}\u0000${trigger.tz ?? ''}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(trigger.cron, { paused: true, ...(trigger.tz === null ? {} : { timezone: trigger.tz }) });
    crons.set(key, cron);
  }
  return cron;
}

/** The first due time strictly after `after` (ms since the epoch), or null when there is none. */
export function nextDue(trigger: Trigger, anchor: number, after: number): number | null {
  switch (trigger.kind) {
    case 'watch':
    case 'webhook':
    case 'on':
      return null; // not a time trigger
    case 'at':
      return trigger.at > after ? trigger.at : null;
    case 'every': {
      if (after < anchor) return anchor + trigger.everyMs;
      const k = Math.floor((after - anchor) / trigger.everyMs) + 1;
      return anchor + k * trigger.everyMs;
    }
    case 'cron':
      return cronOf(trigger).nextRun(new Date(after))?.getTime() ?? null;
  }
}

/** The due times in (from, to], oldest first, at most `max` of them, and how many there were in all (up to `count`). */
export function dueBetween(
  trigger: Trigger,
  anchor: number,
  from: number,
  to: number,
  max: number,
  count = 10_000,
): { due: number[]; total: number } {
  const due: number[] = [];
  let total = 0;
  let at = nextDue(trigger, anchor, from);
  while (at !== null && at <= to && total < count) {
    if (due.length < max) due.push(at);
    total++;
    at = nextDue(trigger, anchor, at);
  }
  return { due, total };
}

/** The newest due time in (from, to], or null: what `catch_up: once` runs for, however long the kernel was down. */
export function lastDue(trigger: Trigger, anchor: number, from: number, to: number): number | null {
  let at: number | null;
  switch (trigger.kind) {
    case 'watch':
    case 'webhook':
    case 'on':
      return null;
    case 'at':
      at = trigger.at;
      break;
    case 'every':
      at =
        to < anchor + trigger.everyMs ? null : anchor + Math.floor((to - anchor) / trigger.everyMs) * trigger.everyMs;
      break;
    case 'cron':
      at =
        cronOf(trigger)
          .previousRuns(1, new Date(to + 1))[0]
          ?.getTime() ?? null;
      break;
  }
  return at !== null && at > from && at <= to ? at : null;
}

/** The earliest next due time of a unit's triggers after `after` (never before the unit last checked). */
export function nextOfUnit(
  armed: { unit: { triggers: readonly Trigger[] }; record: { anchor: number; checked_at: number } },
  after: number,
): number | null {
  let next: number | null = null;
  for (const trigger of armed.unit.triggers) {
    const due = nextDue(trigger, armed.record.anchor, Math.max(after, armed.record.checked_at));
    if (due !== null && (next === null || due < next)) next = due;
  }
  return next;
}
