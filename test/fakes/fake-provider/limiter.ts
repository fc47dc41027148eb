/**
 * The fake provider's rate limiter: a sliding window (60 s by default) over admitted requests,
 * limiting requests per window (`rpm`) and tokens per window (`tpm`, counting the tokens each
 * admitted reply reports in its usage: prompt + output + thoughts).
 */

export interface RateLimits {
  /** Requests admitted per window. */
  rpm?: number;
  /** Tokens (as reported in usage) admitted per window. */
  tpm?: number;
  /** Window length; 60 000 ms unless a test wants it shorter. */
  windowMs?: number;
}

export interface Headroom {
  limitRequests?: number;
  remainingRequests?: number;
  /** Until every counted request has left the window. */
  resetRequestsMs?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensMs?: number;
}

export type Admission =
  | { ok: true; headroom: Headroom }
  | { ok: false; limit: 'requests' | 'tokens'; retryAfterMs: number; headroom: Headroom };

interface Entry {
  at: number;
  tokens: number;
}

export class WindowLimiter {
  private entries: Entry[] = [];
  readonly windowMs: number;

  constructor(readonly limits: RateLimits) {
    this.windowMs = limits.windowMs ?? 60_000;
    for (const [name, value] of Object.entries(limits)) {
      if (value !== undefined && !(typeof value === 'number' && value > 0)) {
        throw new Error(`fake provider: limits.${name} must be a positive number, got ${String(value)}`);
      }
    }
  }

  /**
   * Admit a request that will consume `tokens`, or say which limit it hits and how long until it
   * would fit. A request larger than `tpm` on its own is admitted into an empty window (otherwise
   * it could never pass), as a lenient provider would.
   */
  admit(tokens: number, now = Date.now()): Admission {
    this.expire(now);
    const { rpm, tpm } = this.limits;
    if (rpm !== undefined && this.entries.length >= rpm) {
      const oldest = this.entries[this.entries.length - rpm];
      return { ok: false, limit: 'requests', retryAfterMs: this.until(oldest, now), headroom: this.headroom(now) };
    }
    if (tpm !== undefined && this.entries.length > 0 && this.used() + tokens > tpm) {
      let freed = this.used();
      let waitFor: Entry | undefined;
      for (const entry of this.entries) {
        freed -= entry.tokens;
        waitFor = entry;
        if (freed + tokens <= tpm) break;
      }
      return { ok: false, limit: 'tokens', retryAfterMs: this.until(waitFor, now), headroom: this.headroom(now) };
    }
    this.entries.push({ at: now, tokens });
    return { ok: true, headroom: this.headroom(now) };
  }

  headroom(now = Date.now()): Headroom {
    this.expire(now);
    const { rpm, tpm } = this.limits;
    const newest = this.entries[this.entries.length - 1];
    const reset = this.until(newest, now);
    const headroom: Headroom = {};
    if (rpm !== undefined) {
      headroom.limitRequests = rpm;
      headroom.remainingRequests = Math.max(0, rpm - this.entries.length);
      headroom.resetRequestsMs = reset;
    }
    if (tpm !== undefined) {
      headroom.limitTokens = tpm;
      headroom.remainingTokens = Math.max(0, tpm - this.used());
      headroom.resetTokensMs = reset;
    }
    return headroom;
  }

  /** Requests and tokens counted in the current window. */
  usage(now = Date.now()): { requests: number; tokens: number } {
    this.expire(now);
    return { requests: this.entries.length, tokens: this.used() };
  }

  private used(): number {
    return this.entries.reduce((sum, entry) => sum + entry.tokens, 0);
  }

  private until(entry: Entry | undefined, now: number): number {
    return entry === undefined ? 0 : Math.max(0, entry.at + this.windowMs - now);
  }

  private expire(now: number): void {
    while (this.entries.length > 0 && (this.entries[0]?.at ?? 0) + this.windowMs <= now) this.entries.shift();
  }
}
