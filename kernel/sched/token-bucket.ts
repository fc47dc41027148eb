/**
 * A token bucket for a per-minute budget (requests or tokens). It refills continuously, holds at
 * most `capacity` (a short burst: a full minute's budget at once trips providers that enforce
 * the limit over shorter or sliding windows), may go negative when a request used more than was
 * reserved, and can be corrected from what a provider says is left (rate-limit headers).
 */
/**
 * What a gate needs of a per-minute budget: this node's own TokenBucket, or a share of one kept in
 * a cluster's database (kernel/cluster/shared-bucket.ts) when several kernels use one provider.
 */
export interface Bucket {
  readonly perMinute: number;
  readonly capacity: number;
  available(now?: number): number;
  waitFor(amount: number, now?: number): number;
  take(amount: number, now?: number): void;
  adjust(delta: number, now?: number): void;
  observeRemaining(remaining: number, now?: number): void;
  drainUntil(until: number, now?: number): void;
}

/** Makes a gate's budget of one kind: `key` is the gate (a provider, or a model with limits of its own). */
export type BucketFactory = (key: string, kind: 'rpm' | 'tpm', perMinute: number, capacity: number) => Bucket;

export class TokenBucket implements Bucket {
  private level: number;
  private updatedAt: number;
  private readonly refillPerMs: number;

  readonly capacity: number;

  constructor(
    readonly perMinute: number,
    now = Date.now(),
    capacity = perMinute,
  ) {
    this.capacity = Math.max(1, capacity);
    this.level = this.capacity;
    this.updatedAt = now;
    this.refillPerMs = perMinute / 60_000;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.level = Math.min(this.capacity, this.level + (now - this.updatedAt) * this.refillPerMs);
      this.updatedAt = now;
    }
  }

  available(now = Date.now()): number {
    this.refill(now);
    return this.level;
  }

  /** Milliseconds until `amount` is available (0 when it already is). */
  waitFor(amount: number, now = Date.now()): number {
    this.refill(now);
    // A request bigger than the bucket goes when the bucket is full.
    const need = Math.min(amount, this.capacity) - this.level;
    return need <= 0 ? 0 : Math.ceil(need / this.refillPerMs);
  }

  take(amount: number, now = Date.now()): void {
    this.refill(now);
    this.level -= amount;
  }

  /** Give back (or charge more, with a negative amount) once the real figure is known. */
  adjust(delta: number, now = Date.now()): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + delta);
  }

  /** The provider said what is left: trust it when it is lower than our own count. */
  observeRemaining(remaining: number, now = Date.now()): void {
    this.refill(now);
    if (remaining < this.level) this.level = remaining;
  }

  /** Nothing until `until` (a 429's Retry-After). */
  drainUntil(until: number, now = Date.now()): void {
    this.refill(now);
    const ms = Math.max(0, until - now);
    this.level = Math.min(this.level, -ms * this.refillPerMs);
  }
}
