/**
 * The model pool: how many inferences each provider and model may have in flight, their
 * requests-per-minute and tokens-per-minute budgets (token buckets that learn from Retry-After
 * and rate-limit headers), and retries with jittered backoff. A process sees a model failure
 * only after the retries are spent; a 429 is the pool's problem, not the agent's.
 */
import type { ModelDriver, ModelReply, ModelRequest } from '../drivers/llm/types.js';
import { param } from './param.js';
import { TokenBucket } from './token-bucket.js';

export interface LaneLimits {
  concurrency?: number;
  rpm?: number;
  tpm?: number;
}

export interface PoolOptions {
  /** Limits per provider (`gemini`) and per model (`gemini:gemini-2.5-flash`). */
  limits?: Record<string, LaneLimits>;
  maxRetries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
}

interface Gate {
  concurrency: number;
  inFlight: number;
  rpm: TokenBucket | null;
  tpm: TokenBucket | null;
  /** 429s seen, for the dashboard. */
  throttled: number;
}

/** What one admitted inference holds until it ends. */
export interface Lease {
  lane: string;
  estimate: number;
}

interface RetryableFailure {
  retryable?: boolean;
  retryAfterMs?: number;
  kind?: string;
  rateLimit?: { remainingRequests?: number; remainingTokens?: number };
}

export function providerOf(model: string): string {
  const colon = model.indexOf(':');
  return colon === -1 ? model : model.slice(0, colon);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class ModelPool {
  private readonly gates = new Map<string, Gate>();
  private readonly limits: Record<string, LaneLimits>;
  private readonly random: () => number;
  /** Called when capacity may have come back (a lease ended, a budget refilled). */
  onCapacity: () => void = () => {};

  constructor(private readonly options: PoolOptions = {}) {
    this.limits = options.limits ?? {};
    this.random = options.random ?? Math.random;
  }

  /** Gates that apply to a model: its provider's, then its own. */
  private gatesOf(model: string): Gate[] {
    const provider = providerOf(model);
    return [this.gate(provider, provider === 'replay' ? Infinity : param.defaultProviderConcurrency), this.gate(model, Infinity)];
  }

  private gate(key: string, defaultConcurrency: number): Gate {
    let gate = this.gates.get(key);
    if (!gate) {
      const l = this.limits[key] ?? {};
      gate = {
        concurrency: l.concurrency ?? defaultConcurrency,
        inFlight: 0,
        rpm: l.rpm ? new TokenBucket(l.rpm, Date.now(), (l.rpm / 60) * param.rpmBurstSeconds) : null,
        tpm: l.tpm ? new TokenBucket(l.tpm, Date.now(), (l.tpm / 60) * param.tpmBurstSeconds) : null,
        throttled: 0,
      };
      this.gates.set(key, gate);
    }
    return gate;
  }

  /**
   * Try to admit one inference of `estimate` tokens on `model`. Returns a lease, or the
   * milliseconds until the budgets allow it (Infinity when only a running call can free a slot).
   */
  admit(model: string, estimate: number, now = Date.now()): Lease | number {
    const gates = this.gatesOf(model);
    let wait = 0;
    for (const g of gates) {
      if (g.inFlight >= g.concurrency) return Infinity;
      wait = Math.max(wait, g.rpm?.waitFor(1, now) ?? 0, g.tpm?.waitFor(estimate, now) ?? 0);
    }
    if (wait > 0) return wait;
    for (const g of gates) {
      g.inFlight++;
      g.rpm?.take(1, now);
      g.tpm?.take(estimate, now);
    }
    return { lane: model, estimate };
  }

  /** The inference ended: free the slot and settle the token estimate with the real usage. */
  release(lease: Lease, usedTokens: number | null): void {
    for (const g of this.gatesOf(lease.lane)) {
      g.inFlight = Math.max(0, g.inFlight - 1);
      if (usedTokens !== null) g.tpm?.adjust(lease.estimate - usedTokens);
    }
    this.onCapacity();
  }

  /**
   * One inference with retries. The lease's slot is held throughout; each retry waits for its
   * backoff (or the provider's Retry-After) and for the budgets.
   */
  async complete(driver: ModelDriver, request: ModelRequest, lease: Lease): Promise<ModelReply> {
    const maxRetries = this.options.maxRetries ?? param.modelMaxRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await driver.complete(request);
        this.learn(lease.lane, (reply as { rateLimit?: RetryableFailure['rateLimit'] }).rateLimit);
        return reply;
      } catch (error) {
        const failure = error as RetryableFailure;
        if (request.signal.aborted || !failure?.retryable || attempt >= maxRetries) throw error;
        const delay = this.backoff(lease.lane, attempt, failure);
        await sleep(delay, request.signal);
        await this.awaitBudget(lease, request.signal);
      }
    }
  }

  private backoff(model: string, attempt: number, failure: RetryableFailure): number {
    const base = this.options.backoffBaseMs ?? param.modelBackoffBaseMs;
    const max = this.options.backoffMaxMs ?? param.modelBackoffMaxMs;
    const jittered = this.random() * Math.min(max, base * 2 ** attempt);
    if (failure.kind === 'rate_limit') {
      const until = Date.now() + (failure.retryAfterMs ?? jittered);
      for (const g of this.gatesOf(model)) {
        g.throttled++;
        g.rpm?.drainUntil(until);
        g.tpm?.drainUntil(until);
      }
      this.learn(model, failure.rateLimit);
    }
    return Math.max(failure.retryAfterMs ?? 0, jittered);
  }

  private async awaitBudget(lease: Lease, signal: AbortSignal): Promise<void> {
    for (;;) {
      const gates = this.gatesOf(lease.lane);
      const wait = Math.max(0, ...gates.map((g) => Math.max(g.rpm?.waitFor(1) ?? 0, g.tpm?.waitFor(lease.estimate) ?? 0)));
      if (wait === 0) {
        for (const g of gates) {
          g.rpm?.take(1);
          g.tpm?.take(lease.estimate);
        }
        return;
      }
      await sleep(wait, signal);
    }
  }

  private learn(model: string, rateLimit: RetryableFailure['rateLimit'] | undefined): void {
    if (!rateLimit) return;
    const gate = this.gate(providerOf(model), param.defaultProviderConcurrency);
    if (rateLimit.remainingRequests !== undefined) gate.rpm?.observeRemaining(rateLimit.remainingRequests);
    if (rateLimit.remainingTokens !== undefined) gate.tpm?.observeRemaining(rateLimit.remainingTokens);
  }

  /** Headroom per provider for `aos top` and `kernel status`. */
  headroom(): Array<{ provider: string; rpm_left: number | null; tpm_left: number | null }> {
    const out = [];
    for (const [key, g] of this.gates) {
      if (key.includes(':') || (!g.rpm && !g.tpm)) continue;
      out.push({
        provider: key,
        rpm_left: g.rpm ? Math.floor(g.rpm.available()) : null,
        tpm_left: g.tpm ? Math.floor(g.tpm.available()) : null,
      });
    }
    return out;
  }
}

/** `AOS_LIMITS="gemini:rpm=60,tpm=1000000,concurrency=4;openai:concurrency=2"` */
export function parseLimits(text: string | undefined): Record<string, LaneLimits> {
  const out: Record<string, LaneLimits> = {};
  if (!text) return out;
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const lastColon = eq === -1 ? -1 : part.lastIndexOf(':', eq);
    if (lastColon <= 0) throw new Error(`AOS_LIMITS: "${part}" is not lane:key=value,... (e.g. gemini:rpm=60,tpm=1000000)`);
    const lane = part.slice(0, lastColon);
    const limits: LaneLimits = {};
    for (const kv of part.slice(lastColon + 1).split(',')) {
      const [k, v] = kv.split('=').map((s) => s.trim());
      const n = Number(v);
      if ((k !== 'rpm' && k !== 'tpm' && k !== 'concurrency') || !Number.isFinite(n) || n <= 0) {
        throw new Error(`AOS_LIMITS: bad "${kv}" for ${lane} (use rpm=N, tpm=N or concurrency=N)`);
      }
      limits[k] = n;
    }
    out[lane] = limits;
  }
  return out;
}
