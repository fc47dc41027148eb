import { describe, expect, it } from 'vitest';
import { AdaptiveLimit, type AdaptiveLimitOptions } from '../../../kernel/sched/adaptive-limit.js';

const HOSTED: AdaptiveLimitOptions = { initial: 10, min: 1, max: 1000, backoff: 0.9, latencyTolerance: Infinity };
const LOCAL: AdaptiveLimitOptions = { ...HOSTED, initial: 4, latencyTolerance: 2 };

/** `n` successes with `inFlight` out, each `rttMs` long. */
function succeed(limit: AdaptiveLimit, n: number, inFlight: number, rttMs = 100): void {
  for (let i = 0; i < n; i++) limit.success(limit.send(), rttMs, inFlight);
}

describe('AdaptiveLimit', () => {
  it('grows by one per success before any congestion (it doubles every round trip)', () => {
    const limit = new AdaptiveLimit(HOSTED);
    succeed(limit, 10, 10);
    expect(limit.limit).toBe(20);
  });

  it('does not grow a limit that is not in use', () => {
    const limit = new AdaptiveLimit(HOSTED);
    succeed(limit, 100, 4);
    expect(limit.limit).toBe(10);
  });

  it('cuts to backoff × what was in flight on a refusal, once per round: replies to requests sent before the cut are stale', () => {
    const limit = new AdaptiveLimit({ ...HOSTED, initial: 100 });
    const burst = Array.from({ length: 30 }, () => limit.send());
    limit.overload(burst[0] ?? 0, 50);
    expect(limit.limit).toBe(45);
    for (const ticket of burst.slice(1)) limit.overload(ticket, 40);
    expect(limit.limit).toBe(45);
    // A request sent under the new limit and refused again is news.
    limit.overload(limit.send(), 40);
    expect(limit.limit).toBe(36);
  });

  it('never cuts below what it had: a refusal with more in flight than the limit cuts from the limit', () => {
    const limit = new AdaptiveLimit({ ...HOSTED, initial: 20 });
    limit.overload(limit.send(), 500);
    expect(limit.limit).toBe(18);
  });

  it('after a cut grows by about √limit per round trip, not by doubling', () => {
    const limit = new AdaptiveLimit({ ...HOSTED, initial: 110 });
    limit.overload(limit.send(), 110);
    expect(limit.limit).toBe(99);
    // One round trip: as many successes as the limit, all in flight.
    succeed(limit, 99, 99);
    expect(limit.limit).toBeGreaterThanOrEqual(108);
    expect(limit.limit).toBeLessThanOrEqual(110);
  });

  it('stays within its bounds', () => {
    const floor = new AdaptiveLimit({ ...HOSTED, initial: 3, min: 2 });
    for (let i = 0; i < 10; i++) floor.overload(floor.send(), 1);
    expect(floor.limit).toBe(2);
    const ceiling = new AdaptiveLimit({ ...HOSTED, initial: 900, max: 1000 });
    succeed(ceiling, 500, 1000);
    expect(ceiling.limit).toBe(1000);
    expect(new AdaptiveLimit({ ...HOSTED, initial: 5000, max: 1000 }).limit).toBe(1000);
  });

  it('local servers: learns the parallel slots of a server that queues (simulated, 300 s), and keeps it busy', () => {
    for (const [agents, slots] of [
      [32, 4],
      [64, 1],
      [64, 16],
    ] as const) {
      const run = simulateQueueingServer(new AdaptiveLimit(LOCAL), agents, slots, 300);
      const late = run.limits.slice(run.limits.length / 2);
      expect(Math.min(...late), `${slots} slots`).toBeGreaterThanOrEqual(Math.ceil(0.75 * slots));
      expect(Math.max(...late), `${slots} slots`).toBeLessThanOrEqual(Math.max(8, 4 * slots));
      expect(run.utilization, `${slots} slots`).toBeGreaterThan(0.95);
    }
  });

  it('local servers: one long reply among short ones is not a queue', () => {
    const limit = new AdaptiveLimit({ ...LOCAL, initial: 16 });
    succeed(limit, 30, 16, 50);
    const before = limit.limit;
    limit.success(limit.send(), 2000, 16);
    succeed(limit, 5, 16, 50);
    expect(limit.limit).toBeGreaterThanOrEqual(before);
  });

  it('local servers: latency that creeps up at a concurrency already proven (contexts grow) cuts nothing', () => {
    const limit = new AdaptiveLimit({ ...LOCAL, initial: 8 });
    succeed(limit, 20, 8, 100);
    const grown = limit.limit;
    expect(grown).toBeGreaterThan(8);
    // 1% more a reply, 150 replies: ×4.4 overall, never a jump.
    for (let i = 0; i < 150; i++) limit.success(limit.send(), 100 * 1.01 ** i, 8);
    expect(limit.limit).toBeGreaterThanOrEqual(grown);
  });

  it("hosted APIs ignore latency: theirs follows everyone's load and reply lengths, not ours", () => {
    const limit = new AdaptiveLimit({ ...HOSTED, initial: 50 });
    succeed(limit, 5, 50, 100);
    const before = limit.limit;
    succeed(limit, 30, 50, 5000);
    expect(limit.limit).toBeGreaterThanOrEqual(before);
  });
});

/**
 * Discrete-event simulation: `agents` in a closed loop (5 ms between turns) through `limit`, to
 * a server with `slots` that queues the rest FIFO and serves each request in 80..120 ms.
 */
function simulateQueueingServer(
  limit: AdaptiveLimit,
  agents: number,
  slots: number,
  seconds: number,
): { limits: number[]; utilization: number } {
  let seed = 42;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  type Event = { t: number; agent: number; done?: { sentAt: number; ticket: number } };
  const events: Event[] = Array.from({ length: agents }, (_, agent) => ({ t: 0, agent }));
  const ready: number[] = [];
  const queue: Array<{ agent: number; sentAt: number; ticket: number }> = [];
  const limits: number[] = [];
  let now = 0;
  let inFlight = 0;
  let busy = 0;
  let busyMs = 0;
  while (now < seconds * 1000) {
    events.sort((a, b) => a.t - b.t);
    const event = events.shift() as Event;
    busyMs += busy * (event.t - now);
    now = event.t;
    if (event.done) {
      busy--;
      limit.success(event.done.ticket, now - event.done.sentAt, inFlight--);
      events.push({ t: now + 5, agent: event.agent });
    } else {
      ready.push(event.agent);
    }
    for (; ready.length > 0 && inFlight < limit.limit; inFlight++)
      queue.push({ agent: ready.shift() as number, sentAt: now, ticket: limit.send() });
    for (; busy < slots && queue.length > 0; busy++) {
      const request = queue.shift() as (typeof queue)[number];
      events.push({ t: now + 80 + 40 * random(), agent: request.agent, done: request });
    }
    if (now >= (limits.length + 1) * 1000) limits.push(limit.limit);
  }
  return { limits, utilization: busyMs / (slots * now) };
}
