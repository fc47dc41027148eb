/**
 * A laddered process's routing state: its rungs, the rung its next turn runs on and how long an
 * escalation holds it, what its last turns showed (malformed calls, a repeated errno, a reply
 * without a syscall, an asked escalation). How many turns each rung ran is its PCB's (counters.models).
 * Held by its Proc and written only through these methods (the turn loop notes, lifecycle routes);
 * stored with the process's runtime.
 */
import type { RouteDecision, RouteSignals } from '../sched/ladder.js';

/** What is stored of it in the runtime JSON. */
export interface StoredRouting {
  rung: number;
  stick: number;
  routedTurn: number;
  escalations: number;
  lastErrno: string | null;
  malformed: number;
  sameErrno: string | null;
  reminded: boolean;
  asked: string | null;
  /** The last turn had a call that failed (any errno). */
  failed?: boolean;
  /** Whether each of the turns before had a failed call, newest last (at most three). */
  recent?: boolean[];
  /** How often it climbed (each climb holds longer). */
  climbs?: number;
}

const MALFORMED = new Set(['EINVAL', 'ENOSYS']);

export class Routing {
  private state: StoredRouting = {
    rung: 0,
    stick: 0,
    routedTurn: -1,
    escalations: 0,
    lastErrno: null,
    malformed: 0,
    sameErrno: null,
    reminded: false,
    asked: null,
  };

  constructor(
    readonly rungs: readonly string[],
    stored?: StoredRouting,
  ) {
    if (stored) this.state = { ...stored, rung: Math.min(stored.rung, rungs.length - 1) };
  }

  /** The rung its next (or current) turn runs on. */
  get rung(): number {
    return this.state.rung;
  }

  /** Turns the current rung is still held after an escalation. */
  get stick(): number {
    return this.state.stick;
  }

  /** How often it climbed a rung. */
  get climbs(): number {
    return this.state.climbs ?? 0;
  }

  get model(): string {
    return this.rungs[this.state.rung] as string;
  }

  get top(): number {
    return this.rungs.length - 1;
  }

  /** The turn the current rung was chosen for (a process queued again for the same turn keeps it). */
  get routedTurn(): number {
    return this.state.routedTurn;
  }

  get escalations(): number {
    return this.state.escalations;
  }

  /** A call's result: a malformed or unknown call, and an errno the one before it had too, count against the rung. */
  noteResult(errno: string | null): void {
    if (errno === null) {
      this.state.lastErrno = null;
      return;
    }
    this.state.failed = true;
    if (MALFORMED.has(errno)) this.state.malformed++;
    if (errno === this.state.lastErrno) this.state.sameErrno = errno;
    this.state.lastErrno = errno;
  }

  /** A reply without a syscall. */
  noteReminder(): void {
    this.state.reminded = true;
  }

  /** SYS_ESCALATE: a stronger rung asked for the next turn. */
  ask(reason: string): void {
    this.state.asked = reason;
    this.state.escalations++;
  }

  /** The last three turns, the last one included: how many had a failed call. */
  private recentFailures(): number {
    return [...(this.state.recent ?? []), this.state.failed ?? false].slice(-3).filter(Boolean).length;
  }

  /** What the last turns showed, whether this turn reads a wake-up, and how much of the turn limit is used. */
  signals(wakeUp: boolean, headroom: number | null, turnsUsed: number): RouteSignals {
    const s = this.state;
    return {
      malformed: s.malformed,
      sameErrno: s.sameErrno,
      failures: this.recentFailures(),
      reminded: s.reminded,
      wakeUp,
      asked: s.asked,
      headroom,
      turnsUsed,
    };
  }

  /** The rung for `turn` was chosen: what the last turn showed is spent. */
  routed(turn: number, decision: RouteDecision): void {
    // The failures that made it climb are spent by that climb: they do not make it climb again.
    const climbed = decision.rung > this.state.rung;
    const recent = climbed ? [] : [...(this.state.recent ?? []), this.state.failed ?? false].slice(-2);
    const climbs = (this.state.climbs ?? 0) + (climbed ? 1 : 0);
    this.state = {
      ...this.state,
      rung: decision.rung,
      stick: decision.stick,
      routedTurn: turn,
      malformed: 0,
      sameErrno: null,
      reminded: false,
      asked: null,
      failed: false,
      recent,
      climbs,
    };
  }

  stored(): StoredRouting {
    return { ...this.state };
  }
}
