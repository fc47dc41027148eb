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

const kernelZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
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

export function windowOf(period: BudgetPeriod, at: number, tz: string | null): BudgetWindow {
  const zone = tz ?? kernelZone();
  const date = localDate(at, zone);
  const pattern = period === 'daily' ? '0 0 0 * * *' : '0 0 0 1 * *';
  const next = new Cron(pattern, { timezone: zone, paused: true }).nextRun(new Date(at));
  return {
    id: period === 'daily' ? `daily:${date}` : `monthly:${date.slice(0, 7)}`,
    period,
    end: next ? next.getTime() : Number.MAX_SAFE_INTEGER,
  };
}
