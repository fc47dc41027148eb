/** A clock for the units that moves only when told: `advance` runs each timer due on the way, in order, letting the kernel's work between them settle. */
import type { Clock } from '../../sys/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(private time = Date.parse('2026-11-24T12:00:00.000Z')) {}

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Move on `ms`, firing what falls due on the way (and what those arm, if due too). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.at);
      next.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }

  /** Jump without firing anything (a kernel that was down). */
  set(time: number): void {
    this.time = time;
  }

  get pending(): number {
    return this.timers.length;
  }
}

/** Let promises and a few macrotasks (spawns, commits, turns) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
