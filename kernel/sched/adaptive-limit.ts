/**
 * How many inferences one provider may have in flight, learned from how it answers (TCP's
 * congestion window, as in Netflix's concurrency-limits):
 * - grow while the limit is in use: +1 per success until the first sign of congestion (slow
 *   start: doubles every round trip), then +√limit per round trip (a limit of 1,000 regains 10%
 *   in 3 round trips; one of 50 keeps within about ±10% of a server that takes 50);
 * - cut on overload (429, 503, 529) to `backoff × min(limit, in flight)`: what was in flight when
 *   the provider refused is what it could take. A reply to a request sent before the last cut is
 *   stale news (it was sent under the old limit): it neither cuts nor grows, so a burst of
 *   refusals is one cut;
 * - with `latencyTolerance` (local servers, which queue rather than refuse): when the recent
 *   latency (the median of the last replies) exceeds tolerance × the no-load baseline, cut to
 *   Vegas's estimate of the server's parallel slots: in flight × baseline / latency (see
 *   observe() for the baseline).
 * Hosted APIs get no latency rule: their latency follows everyone's load and reply lengths, not ours.
 */

export interface AdaptiveLimitOptions {
  initial: number;
  min: number;
  max: number;
  /** Multiplicative decrease on overload. */
  backoff: number;
  /** Latency over this multiple of the baseline means requests queue in the server; Infinity: ignore latency. */
  latencyTolerance: number;
}

/** Handed out when a request is sent; says which cut it was sent under. */
export type Ticket = number;

/** The recent latency is the median of this many replies: one long reply must not look like a queue. */
const RECENT_REPLIES = 15;
/** EMA gain of the baseline: it follows slow drift over ~16 replies. */
const DRIFT = 1 / 16;

export class AdaptiveLimit {
  private value: number;
  private epoch = 0;
  private congested = false;
  /** The latest replies (fresh ones only), oldest first: their latencies and how many were in flight. */
  private readonly recent: number[] = [];
  private readonly recentInFlight: number[] = [];
  /** The no-load latency, and the concurrency up to which replies may move it. */
  private baseline = 0;
  private baselineAt: number;

  constructor(private readonly options: AdaptiveLimitOptions) {
    this.value = this.clamp(options.initial);
    this.baselineAt = this.value;
  }

  /** The current limit, a whole number of requests. */
  get limit(): number {
    return Math.floor(this.value);
  }

  /** A request goes out now. */
  send(): Ticket {
    return this.epoch;
  }

  /** A reply came back after `rttMs`, with `inFlight` requests out (this one included). */
  success(ticket: Ticket, rttMs: number, inFlight: number): void {
    // A reply to a request sent before the last cut says nothing about the limit since.
    if (ticket < this.epoch || this.latencySaysQueued(rttMs, inFlight)) return;
    // A limit that is not in use proves nothing: growing it would let a later burst through unchecked.
    if (inFlight < this.value / 2) return;
    this.value = this.clamp(this.value + (this.congested ? Math.sqrt(this.value) / this.value : 1));
  }

  /** The provider refused (429, 503): it had had enough at `inFlight`. Whether the limit was cut (not stale news). */
  overload(ticket: Ticket, inFlight: number): boolean {
    if (ticket < this.epoch) return false;
    this.cut(this.options.backoff * Math.min(this.value, inFlight));
    return true;
  }

  private latencySaysQueued(rttMs: number, inFlight: number): boolean {
    if (this.options.latencyTolerance === Infinity) return false;
    const baseline = this.observe(rttMs, inFlight);
    this.recent.push(rttMs);
    this.recentInFlight.push(inFlight);
    if (this.recent.length > RECENT_REPLIES) {
      this.recent.shift();
      this.recentInFlight.shift();
    }
    if (this.recent.length < RECENT_REPLIES) return false;
    const latency = median(this.recent);
    if (latency <= this.options.latencyTolerance * baseline) return false;
    // Latency and concurrency from the same replies: the limit of now would overstate the slots.
    this.cut(median(this.recentInFlight) * (baseline / latency));
    // Replies at or under the least limit cut to measure the server without our queue; raising it
    // would let the queue of a limit above the slots into the baseline, and the limit creeps up.
    this.baselineAt = Math.min(this.baselineAt, this.value);
    // The next cut must be earned by replies sent under this limit, not by the queue already built.
    this.recent.length = 0;
    this.recentInFlight.length = 0;
    return true;
  }

  /**
   * The baseline after this reply: the first reply's latency, then moved slowly (both ways:
   * contexts grow) only by replies with no more in flight than the limit we started from or the
   * least we cut to (fewer than the slots we believe the server has). A reply with more in flight
   * moves it not at all: its extra latency may be the queue we are building, which is how a plain
   * Vegas baseline creeps up, and the limit with it.
   */
  private observe(rttMs: number, inFlight: number): number {
    if (this.baseline === 0) this.baseline = rttMs;
    else if (inFlight <= this.baselineAt) this.baseline += (rttMs - this.baseline) * DRIFT;
    return this.baseline;
  }

  private cut(to: number): void {
    this.value = this.clamp(Math.min(this.value, to));
    this.epoch++;
    this.congested = true;
  }

  private clamp(n: number): number {
    return Math.max(this.options.min, Math.min(this.options.max, n));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}
