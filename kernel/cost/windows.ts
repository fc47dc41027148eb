/**
 * A budget's time windows: a day from midnight, a month from the 1st, in the budget's time zone
 * (the kernel's own when it names none). The next boundary is croner's, so daylight saving and
 * month lengths are handled by the library every schedule in aos already relies on.
 */
import { Cron } from 'croner';
import type { BudgetPeriod } from './budget-spec.js';

export interface BudgetWindow {
  /** `daily:2026-11-25`, `monthly:2026-11`: how the store keys it. */
  id: string;
  period: BudgetPeriod;
  /** When the next one starts (ms). */
  end: number;
}

/** The kernel's own zone, resolved again only when TZ changes (resolving it costs ~45 µs). */
let zoneOf: { env: string | undefined; zone: string } | null = null;
function kernelZone(): string {
  const env = process.env.TZ;
  if (zoneOf === null || zoneOf.env !== env) zoneOf = { env, zone: Intl.DateTimeFormat().resolvedOptions().timeZone };
  return zoneOf.zone;
}
const formats = new Map<string, Intl.DateTimeFormat>();

/** `2026-11-25` as the calendar reads in `tz`. */
function localDate(at: number, tz: string): string {
  let format = formats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(tz, format);
  }
  return format.format(at);
}

/**
 * The window found last for each period and zone, with the moment it was asked for: every moment from
 * that one to its end is in the same window (no boundary lies between them), so a request a turn
 * reads it from here and croner (a pattern parsed, ~55 µs) is asked once a window.
 */
const lastWindows = new Map<string, BudgetWindow & { from: number }>();
/** Zones seen are few (the policy's and the kernel's); a bound all the same. */
const MAX_CACHED_WINDOWS = 256;

export function windowOf(period: BudgetPeriod, at: number, tz: string | null): BudgetWindow {
  const zone = tz ?? kernelZone();
  const key = `${period} ${zone}`;
  const last = lastWindows.get(key);
  if (last && last.from <= at && at < last.end) return { id: last.id, period, end: last.end };
  const date = localDate(at, zone);
  const pattern = period === 'daily' ? '0 0 0 * * *' : '0 0 0 1 * *';
  const next = new Cron(pattern, { timezone: zone, paused: true }).nextRun(new Date(at));
  const window = {
    id: period === 'daily' ? `daily:${date}` : `monthly:${date.slice(0, 7)}`,
    period,
    end: next ? next.getTime() : Number.MAX_SAFE_INTEGER,
  };
  if (lastWindows.size >= MAX_CACHED_WINDOWS && !lastWindows.has(key)) lastWindows.clear();
  lastWindows.set(key, { ...window, from: at });
  return window;
}
