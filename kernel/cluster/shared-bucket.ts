/**
 * One per-minute budget (requests or tokens) shared by the cluster's nodes, as a gate of the model
 * pool sees it: the same calls as a TokenBucket (the pool stays synchronous), kept over an
 * allowance this node was granted from the database's bucket (shared-limits.ts).
 *
 * - Reserved before a request: a request goes only on allowance already granted; when there is
 *   too little, `waitFor` asks for more in the background (the pool wakes when it comes).
 * - Settled from usage: `adjust` moves the allowance; what is left unused goes back to the cluster,
 *   and a request that used more than it reserved is a debt the next grant pays first.
 * - A 429's Retry-After (`drainUntil`) stops this node at once and every other at its next
 *   NOTIFY or heartbeat.
 */
import type { Bucket } from '../sched/token-bucket.js';
import { param } from '../../sys/param.js';

/** What a shared bucket asks of the cluster. */
export interface BucketLink {
  /** Ask for allowance (in the background); calls `bucket.granted` when it comes. */
  ask(bucket: SharedBucket): void;
  /** A 429: nothing on this budget, cluster-wide, for `ms`. */
  block(bucket: SharedBucket, ms: number): void;
}

export class SharedBucket implements Bucket {
  /** Allowance granted to this node and not yet spent (negative: a debt). */
  private level = 0;
  private blockedUntil = 0;
  /** Given back (or owed, negative) since the last grant: settled at the next one. */
  returned = 0;
  /** The lowest remaining the provider reported since the last grant. */
  observed = Infinity;
  /** How much this node wants now: the next grant asks for it. */
  want = 0;
  /** When the pool last used or asked for this budget (its clock): unused allowance goes back after a while. */
  lastUse = Date.now();
  /** The cluster's unallotted level at the last grant, and when the bucket expects enough. */
  clusterLevel: number | null = null;
  /** Processes waiting on this budget in the whole cluster per process waiting here, at the last grant. */
  private contention = 1;
  /** No asking before this (this node's clock): the last grant gave nothing, or failed. */
  private askAfter = 0;
  private failures = 0;

  constructor(
    readonly lane: string,
    readonly kind: 'rpm' | 'tpm',
    readonly perMinute: number,
    readonly capacity: number,
    private readonly link: BucketLink,
  ) {}

  available(): number {
    return this.level;
  }

  waitFor(amount: number, now = Date.now()): number {
    this.lastUse = now;
    // A figure that is not a number is nobody's to spend: never asked for, never sent to the cluster.
    if (!Number.isFinite(amount)) return param.clusterGrantPollMs;
    if (now < this.blockedUntil) return this.blockedUntil - now;
    const need = Math.min(amount, this.capacity) - this.level;
    if (need <= 0) return 0;
    this.want = Math.max(this.want, need);
    // After a grant of nothing, the next ask waits for the refill (every pump would ask otherwise).
    if (now >= this.askAfter) this.link.ask(this);
    return Math.max(this.askAfter - now, this.refillMs(need));
  }

  /**
   * When the cluster's bucket should hold `need` for this node: its share, with others waiting too,
   * takes longer. Bounded: woken sooner by a grant (the pool's onCapacity), and never later than a poll.
   */
  private refillMs(need: number): number {
    const short =
      this.clusterLevel === null
        ? 0
        : ((need * this.contention - Math.max(0, this.clusterLevel)) * 60_000) / this.perMinute;
    return Math.round(Math.min(param.clusterGrantPollMs, Math.max(param.clusterGrantMinMs, short)));
  }

  take(amount: number, now = Date.now()): void {
    this.lastUse = now;
    if (Number.isFinite(amount)) this.level -= amount;
  }

  adjust(delta: number): void {
    if (Number.isFinite(delta)) this.level += delta;
  }

  observeRemaining(remaining: number): void {
    if (!Number.isFinite(remaining) || remaining < 0) return;
    if (remaining < this.level) this.level = remaining;
    this.observed = Math.min(this.observed, remaining);
  }

  drainUntil(until: number, now = Date.now()): void {
    // A Retry-After that is not a time (NaN, Infinity) says nothing: the pool's backoff applies.
    if (!Number.isFinite(until) || until <= now) return;
    const ms = Math.min(until - now, param.clusterMaxBlockMs);
    this.blocked(ms, now);
    this.link.block(this, ms);
  }

  /** The cluster says nothing goes on this budget for `ms` (a 429 here or on another node). */
  blocked(ms: number, now = Date.now()): void {
    if (!(ms > 0)) return;
    this.blockedUntil = Math.max(this.blockedUntil, now + Math.min(ms, param.clusterMaxBlockMs));
    // What this node held is no longer safe to spend in a burst when the block ends.
    if (this.level > 0) this.level = 0;
  }

  get isBlocked(): boolean {
    return Date.now() < this.blockedUntil;
  }

  /** A grant arrived: `amount` more to spend, the cluster's level after it, and all the nodes' demand against this one's (≥ 1). */
  granted(amount: number, clusterLevel: number, contention = 1): void {
    // A grant that lands during a block is not spent in a burst when the block ends: it goes back.
    if (this.isBlocked) this.returned += amount;
    else this.level += amount;
    this.want = Math.max(0, this.want - amount);
    this.clusterLevel = clusterLevel;
    this.contention = Number.isFinite(contention) ? Math.max(1, contention) : 1;
    this.askAfter = amount > 0 ? 0 : Date.now() + this.refillMs(Math.max(1, this.want));
    this.failures = 0;
  }

  /** A grant failed (the database away): the next ask waits, longer each time up to a heartbeat. */
  refused(now = Date.now()): void {
    this.askAfter = now + Math.min(param.clusterHeartbeatMs, param.clusterGrantMinMs * 2 ** this.failures);
    this.failures++;
  }

  /**
   * Settle an idle budget: unused allowance held past clusterIdleReturnMs goes back, a debt is
   * charged, both at the next grant. What was settled (0 when nothing).
   */
  giveBackIdle(now = Date.now()): number {
    if (this.level === 0 || now - this.lastUse < param.clusterIdleReturnMs) return 0;
    const back = this.level;
    this.level = 0;
    this.returned += back;
    return back;
  }
}
