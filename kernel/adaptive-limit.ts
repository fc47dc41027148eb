/**
 * How many inferences one provider may have in flight, learned from how it answers (TCP's
 * congestion window, as in Netflix's concurrency-limits):
 * - grow while the limit is in use: +1 per success until the first sign of congestion (slow
 *   start: doubles every round trip), then +√limit per round trip (a limit of 1,000 regains 10%
 *   in 3 round trips, one of 50 oscillates within ±15%);
 * - cut on overload (429, 503, 529) to `backoff × min(limit, in flight)`: what was in flight when
 *   the provider refused is what it could take. A reply to a request sent before the last cut is
 *   stale news (it was sent under the old limit) and cuts nothing, so a burst of refusals is one cut;
 * - with `latencyTolerance` (local servers, which queue rather than refuse): when the recent
 *   latency exceeds tolerance × the no-load baseline, cut to Vegas's estimate of the server's
 *   parallel slots, in flight × baseline / latency, plus one request queued so no slot idles.
 *   The baseline is the fastest reply, moved up only by replies at a concurrency already proven
 *   (contexts grow), never by replies with more in flight: those may carry the queue we are
 *   building, which is how a plain Vegas baseline creeps up and the limit with it.
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

/** EMA gains: the recent latency spans ~8 replies; the baseline follows slow drift over ~16. */
const RECENT = 1 / 8;
const DRIFT = 1 / 16;

export class AdaptiveLimit {
  private value: number;
  private epoch = 0;
  private congested = false;
  private recent = 0;
  /** The no-load latency, and the most in flight it was seen with (at or below that, nothing queues). */
  private baseline = 0;
  private baselineAt = 0;

  constructor(private readonly options: AdaptiveLimitOptions) {
    this.value = this.clamp(options.initial);
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
    if (this.latencySaysQueued(ticket, rttMs, inFlight)) return;
    // A limit that is not in use proves nothing: growing it would let a later burst through unchecked.
    if (inFlight < this.value / 2) return;
    this.value = this.clamp(this.value + (this.congested ? Math.sqrt(this.value) / this.value : 1));
  }

  /** The provider refused (429, 503): it had had enough at `inFlight`. */
  overload(ticket: Ticket, inFlight: number): void {
    if (ticket < this.epoch) return;
    this.cut(this.options.backoff * Math.min(this.value, inFlight));
  }

  private latencySaysQueued(ticket: Ticket, rttMs: number, inFlight: number): boolean {
    // A reply sent before the last cut measured the queue that cut was for.
    if (this.options.latencyTolerance === Infinity || ticket < this.epoch) return false;
    this.recent = this.recent === 0 ? rttMs : this.recent + (rttMs - this.recent) * RECENT;
    const baseline = this.observe(rttMs, inFlight);
    if (this.recent <= this.options.latencyTolerance * baseline) return false;
    this.cut(Math.min(this.value, inFlight) * (baseline / this.recent) + 1);
    // The next cut must be earned by replies sent under this limit, not by the queue already built.
    this.recent = baseline;
    return true;
  }

  /**
   * The baseline after this reply. A faster reply lowers it, and proves that its concurrency does
   * not queue; a reply at a concurrency already proven moves it slowly (contexts grow). A reply
   * with more in flight moves it not at all: its extra latency may be the queue we are building.
   */
  private observe(rttMs: number, inFlight: number): number {
    if (this.baseline === 0 || rttMs < this.baseline) {
      this.baseline = rttMs;
      this.baselineAt = Math.max(this.baselineAt, inFlight);
    } else if (inFlight <= this.baselineAt) {
      this.baseline += (rttMs - this.baseline) * DRIFT;
    }
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
