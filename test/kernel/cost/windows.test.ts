import { afterEach, describe, expect, it, vi } from 'vitest';
import { windowOf } from '../../../kernel/cost/windows.js';

// Croner as it is, its schedules counted: a window is found once, not once a request.
const made = vi.hoisted(() => ({ crons: 0 }));
vi.mock('croner', async (importOriginal) => {
  const real = await importOriginal<typeof import('croner')>();
  class Counted extends real.Cron {
    constructor(pattern: string | Date, options?: object) {
      super(pattern, options as never);
      made.crons++;
    }
  }
  return { ...real, Cron: Counted };
});

const at = (iso: string): number => Date.parse(iso);

describe('budget windows', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('a day from midnight and a month from the 1st, in the zone named', () => {
    expect(windowOf('daily', at('2026-11-25T13:00:00Z'), 'UTC')).toEqual({
      id: 'daily:2026-11-25',
      period: 'daily',
      end: at('2026-11-26T00:00:00Z'),
    });
    expect(windowOf('monthly', at('2026-11-25T13:00:00Z'), 'UTC')).toEqual({
      id: 'monthly:2026-11',
      period: 'monthly',
      end: at('2026-12-01T00:00:00Z'),
    });
    // 23:30 in UTC is already the next day in Tokyo (UTC+9), whose midnight is 15:00 UTC.
    expect(windowOf('daily', at('2026-11-25T23:30:00Z'), 'Asia/Tokyo')).toMatchObject({
      id: 'daily:2026-11-26',
      end: at('2026-11-26T15:00:00Z'),
    });
  });

  it('a request a turn reads the window found for the first: croner is asked once a window and zone', () => {
    const start = at('2026-06-01T08:00:00Z');
    const before = made.crons;
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(windowOf('daily', start + i * 1000, 'America/New_York').id);
    expect([...ids]).toEqual(['daily:2026-06-01']);
    expect(made.crons - before).toBe(1);
    // Another zone, another period: each found once.
    windowOf('daily', start, 'Asia/Kolkata');
    windowOf('monthly', start, 'Asia/Kolkata');
    windowOf('daily', start + 5, 'Asia/Kolkata');
    expect(made.crons - before).toBe(3);
  });

  it('asked again within a window, the same; past its end or before the moment it was found, found again', () => {
    // Asked in order, as requests come, across a midnight: each moment gets its own day.
    const moments = [
      '2026-03-10T10:00:00Z',
      '2026-03-10T23:59:59.999Z',
      '2026-03-11T00:00:00Z',
      '2026-03-11T00:00:01Z',
    ];
    expect(moments.map((m) => windowOf('daily', at(m), 'UTC').id)).toEqual([
      'daily:2026-03-10',
      'daily:2026-03-10',
      'daily:2026-03-11',
      'daily:2026-03-11',
    ]);
    // A moment before the one the cached window was found for (a clock set back, a spend dated earlier).
    expect(windowOf('daily', at('2026-03-09T12:00:00Z'), 'UTC')).toEqual({
      id: 'daily:2026-03-09',
      period: 'daily',
      end: at('2026-03-10T00:00:00Z'),
    });
    expect(windowOf('daily', at('2026-03-11T08:00:00Z'), 'UTC').id).toBe('daily:2026-03-11');
    // Months of different lengths, and the year's end.
    expect(windowOf('monthly', at('2026-02-28T23:00:00Z'), 'UTC')).toMatchObject({
      id: 'monthly:2026-02',
      end: at('2026-03-01T00:00:00Z'),
    });
    expect(windowOf('monthly', at('2026-12-31T23:59:59Z'), 'UTC')).toMatchObject({
      id: 'monthly:2026-12',
      end: at('2027-01-01T00:00:00Z'),
    });
    expect(windowOf('monthly', at('2027-01-01T00:00:00Z'), 'UTC').id).toBe('monthly:2027-01');
  });

  it('a day with a daylight-saving change is 23 or 25 hours long, cached or not', () => {
    // Europe/London: clocks go forward on 29 Mar 2026 (a 23-hour day) and back on 25 Oct 2026 (25 hours).
    const spring = windowOf('daily', at('2026-03-29T00:30:00Z'), 'Europe/London');
    expect(spring).toMatchObject({ id: 'daily:2026-03-29', end: at('2026-03-29T23:00:00Z') });
    expect(windowOf('daily', at('2026-03-29T22:59:00Z'), 'Europe/London').id).toBe('daily:2026-03-29');
    expect(windowOf('daily', at('2026-03-29T23:00:00Z'), 'Europe/London').id).toBe('daily:2026-03-30');
    const autumn = windowOf('daily', at('2026-10-25T06:00:00Z'), 'Europe/London');
    expect(autumn).toMatchObject({ id: 'daily:2026-10-25', end: at('2026-10-26T00:00:00Z') });
    expect(windowOf('daily', at('2026-10-25T23:59:00Z'), 'Europe/London').id).toBe('daily:2026-10-25');
  });

  it("without a zone, the kernel's own: found again when TZ changes", () => {
    const moment = at('2026-11-25T20:00:00Z');
    process.env.TZ = 'UTC';
    expect(windowOf('daily', moment, null).id).toBe('daily:2026-11-25');
    // 20:00 UTC is 09:00 the next day in Auckland (UTC+13 in November).
    process.env.TZ = 'Pacific/Auckland';
    expect(windowOf('daily', moment, null)).toMatchObject({
      id: 'daily:2026-11-26',
      end: at('2026-11-26T11:00:00Z'),
    });
    process.env.TZ = 'UTC';
    expect(windowOf('daily', moment, null).id).toBe('daily:2026-11-25');
  });
});
