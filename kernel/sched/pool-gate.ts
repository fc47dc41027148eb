/**
 * One gate of the model pool (a provider, or a model with limits of its own): its concurrency
 * limit (adaptive, fixed, or none), the slots in flight, the retries waiting for a slot, and its
 * requests-per-minute and tokens-per-minute budgets. And the line of those retries (SlotWaiters):
 * a retry was admitted before any turn still in the run queue, so it goes first, first come first
 * served — its gates count it as waiting, which new turns must leave room for.
 */
import { AdaptiveLimit, type Ticket } from './adaptive-limit.js';
import { param } from '../../sys/param.js';
import type { LaneLimits } from './pool-limits.js';
import type { ProviderClass } from './provider-class.js';
import { type Bucket, type BucketFactory, TokenBucket } from './token-bucket.js';

/** What `aos kernel status` and `aos top` show of a provider's gate (the scheduler adds `queued`). */
export interface ProviderFigures {
  provider: string;
  /** Null: unbounded. */
  limit: number | null;
  adaptive: boolean;
  in_flight: number;
  /** Retries waiting for a slot. */
  retrying: number;
  rpm_left: number | null;
  tpm_left: number | null;
  throttled: number;
}

export class Gate {
  inFlight = 0;
  /** Retries waiting for a slot: they go before new turns. */
  waiting = 0;
  /** Refusals (429, 503) seen. */
  throttled = 0;
  readonly rpm: Bucket | null;
  readonly tpm: Bucket | null;
  private fixed: number;
  private adaptive: AdaptiveLimit | null;

  constructor(
    readonly key: string,
    limits: LaneLimits,
    /** For a model's own gate: null (no limit of its own unless configured). */
    kind: ProviderClass | null,
    /** Where the budgets are kept: this node (a TokenBucket each) unless a cluster shares them. */
    buckets: BucketFactory = localBuckets,
  ) {
    this.rpm = limits.rpm ? buckets(key, 'rpm', limits.rpm, (limits.rpm / 60) * param.rpmBurstSeconds) : null;
    this.tpm = limits.tpm ? buckets(key, 'tpm', limits.tpm, (limits.tpm / 60) * param.tpmBurstSeconds) : null;
    this.fixed = limits.concurrency ?? Infinity;
    // The user's word on what the server is goes before the guess from its address (a provider's lane only).
    const serves = kind !== null && kind !== 'unbounded' && limits.class !== undefined ? limits.class : kind;
    this.adaptive = limits.concurrency === undefined ? adaptiveFor(serves, limits.start) : null;
  }

  /** The current limit on inferences in flight (Infinity: none). */
  get limit(): number {
    return this.adaptive ? this.adaptive.limit : this.fixed;
  }

  get isAdaptive(): boolean {
    return this.adaptive !== null;
  }

  /** Room for a new turn: retries already waiting go first. */
  hasRoom(): boolean {
    return this.inFlight + this.waiting < this.limit;
  }

  /** Room for a retry that is next in line. */
  hasRoomForRetry(): boolean {
    return this.inFlight < this.limit;
  }

  /** Fix the limit (`aos`'s AOS_LIMITS concurrency=N, or a kernel that stops: 0). */
  pin(limit: number): void {
    this.fixed = limit;
    this.adaptive = null;
  }

  send(): Ticket {
    return this.adaptive?.send() ?? 0;
  }

  success(ticket: Ticket, rttMs: number): void {
    this.adaptive?.success(ticket, rttMs, this.inFlight);
  }

  /** The provider refused a request sent with `ticket`; whether the limit was cut. */
  overload(ticket: Ticket): boolean {
    this.throttled++;
    return this.adaptive?.overload(ticket, this.inFlight) ?? false;
  }

  /**
   * Another node of the cluster saw this provider refuse: cut as if this node had (the adaptive
   * limit only), to what it has in flight; with nothing in flight it has no part in the overload.
   */
  overloadElsewhere(): void {
    if (this.inFlight > 0) this.adaptive?.overload(this.adaptive.send(), this.inFlight);
  }

  figures(): ProviderFigures {
    return {
      provider: this.key,
      limit: Number.isFinite(this.limit) ? this.limit : null,
      adaptive: this.isAdaptive,
      in_flight: this.inFlight,
      retrying: this.waiting,
      rpm_left: this.rpm ? Math.floor(this.rpm.available()) : null,
      tpm_left: this.tpm ? Math.floor(this.tpm.available()) : null,
      throttled: this.throttled,
    };
  }
}

export const localBuckets: BucketFactory = (_key, _kind, perMinute, capacity) =>
  new TokenBucket(perMinute, Date.now(), capacity);

const ADAPTIVE = { min: param.concurrencyMin, max: param.concurrencyMax, backoff: param.concurrencyBackoff };

function adaptiveFor(kind: ProviderClass | null, start: number | undefined): AdaptiveLimit | null {
  if (kind === null || kind === 'unbounded') {
    return start === undefined ? null : new AdaptiveLimit({ ...ADAPTIVE, initial: start, latencyTolerance: Infinity });
  }
  const local = kind === 'local';
  return new AdaptiveLimit({
    ...ADAPTIVE,
    initial: start ?? (local ? param.localConcurrencyStart : param.hostedConcurrencyStart),
    latencyTolerance: local ? param.concurrencyLatencyTolerance : Infinity,
  });
}

// ---- retries waiting for a slot ----

interface SlotGate {
  inFlight: number;
  waiting: number;
  hasRoomForRetry(): boolean;
}

interface Waiter<G extends SlotGate> {
  gates: G[];
  resolve: () => void;
}

export class SlotWaiters<G extends SlotGate> {
  private readonly queue: Array<Waiter<G>> = [];

  /** Resolves once a slot on every gate is held for the caller; rejects when `signal` aborts first. */
  wait(gates: G[], signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const waiter: Waiter<G> = {
        gates,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i === -1) return;
        this.queue.splice(i, 1);
        for (const g of gates) g.waiting--;
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      for (const g of gates) g.waiting++;
      this.queue.push(waiter);
      this.grant();
    });
  }

  /** Hand free slots to the waiters that fit, oldest first. */
  grant(): void {
    for (let i = 0; i < this.queue.length;) {
      const waiter = this.queue[i] as Waiter<G>;
      if (!waiter.gates.every((g) => g.hasRoomForRetry())) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      for (const g of waiter.gates) {
        g.waiting--;
        g.inFlight++;
      }
      waiter.resolve();
    }
  }
}
