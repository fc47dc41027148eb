/**
 * The model pool: how many inferences each provider may have in flight (a limit learned from its
 * answers, adaptive-limit.ts, unless AOS_LIMITS pins one), its requests-per-minute and
 * tokens-per-minute budgets (token buckets that learn from Retry-After and rate-limit headers),
 * and retries with jittered backoff. A process sees a model failure only after the retries are
 * spent; a 429 or a 503 is the pool's problem, not the agent's.
 */
import type { ModelDriver, ModelReply, ModelRequest } from '../../drivers/llm/types.js';
import { param } from '../../sys/param.js';
import { Gate, type ProviderFigures, SlotWaiters } from './pool-gate.js';
import type { LaneLimits } from './pool-limits.js';
import { classifyProvider, type ProviderClass } from './provider-class.js';
import type { BucketFactory } from './token-bucket.js';

export { parseLimits, type LaneLimits } from './pool-limits.js';
export type { ProviderFigures } from './pool-gate.js';

export interface PoolOptions {
  /** Limits per provider (`gemini`) and per model (`gemini:gemini-2.5-flash`). */
  limits?: Record<string, LaneLimits>;
  maxRetries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  /** Hosted, local or unbounded: where a provider's limit starts (from its base URL by default). */
  classify?: (provider: string) => ProviderClass;
  /** Where requests-per-minute and tokens-per-minute budgets are kept (a cluster shares them; kernel/cluster). */
  buckets?: BucketFactory;
}

/** What one admitted inference holds until it ends. */
export interface Lease {
  lane: string;
  estimate: number;
  /** Whether it holds a slot now (it gives it back while a retry waits out its backoff). */
  held?: boolean;
}

/** A retry about to wait: what the process is told (an event) while its model call is retried. */
export interface RetryNotice {
  attempt: number;
  max: number;
  delayMs: number;
  kind: string;
  status?: number;
  message: string;
  /** Where the failed request went (a driver's base URL), when the driver said. */
  endpoint?: string;
}

interface RetryableFailure {
  retryable?: boolean;
  endpoint?: string;
  retryAfterMs?: number;
  kind?: string;
  status?: number;
  rateLimit?: { remainingRequests?: number; remainingTokens?: number };
}

/** The provider said it had too much: 429, or 503/529 (overloaded). */
function isOverload(failure: RetryableFailure): boolean {
  return (
    failure.kind === 'rate_limit' || (failure.kind === 'server' && (failure.status === 503 || failure.status === 529))
  );
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
  private readonly classify: (provider: string) => ProviderClass;
  private readonly waiters = new SlotWaiters<Gate>();
  /** Called when capacity may have come back (a lease ended, a budget refilled). */
  onCapacity: () => void = () => {};
  /** Called before a retry's backoff, for the process whose call it is. */
  onRetry: (request: ModelRequest, notice: RetryNotice) => void = () => {};
  /** A provider's refusal cut its adaptive limit here (a cluster tells its other nodes). */
  onOverload: (provider: string) => void = () => {};

  constructor(private readonly options: PoolOptions = {}) {
    this.limits = options.limits ?? {};
    this.random = options.random ?? Math.random;
    this.classify = options.classify ?? ((provider) => classifyProvider(provider));
  }

  /** Gates that apply to a model: its provider's, then its own when it has limits of its own. */
  private gatesOf(model: string): Gate[] {
    const provider = this.gate(providerOf(model), true);
    return model in this.limits && model !== provider.key ? [provider, this.gate(model, false)] : [provider];
  }

  private gate(key: string, isProvider: boolean): Gate {
    let gate = this.gates.get(key);
    if (!gate) {
      gate = new Gate(key, this.limits[key] ?? {}, isProvider ? this.classify(key) : null, this.options.buckets);
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
      if (!g.hasRoom()) return Infinity;
      wait = Math.max(wait, g.rpm?.waitFor(1, now) ?? 0, g.tpm?.waitFor(estimate, now) ?? 0);
    }
    if (wait > 0) return wait;
    for (const g of gates) {
      g.inFlight++;
      g.rpm?.take(1, now);
      g.tpm?.take(estimate, now);
    }
    return { lane: model, estimate, held: true };
  }

  /** The inference ended: free the slot and settle the token estimate with the real usage. */
  release(lease: Lease, usedTokens: number | null): void {
    const gates = this.gatesOf(lease.lane);
    if (usedTokens !== null) for (const g of gates) g.tpm?.adjust(lease.estimate - usedTokens);
    this.vacate(lease, gates);
  }

  /** Give the lease's slot back (to the retries waiting first, then to the scheduler). */
  private vacate(lease: Lease, gates = this.gatesOf(lease.lane)): void {
    if (lease.held === false) return;
    lease.held = false;
    for (const g of gates) g.inFlight = Math.max(0, g.inFlight - 1);
    this.waiters.grant();
    this.onCapacity();
  }

  /**
   * One inference with retries. The lease's slot is held while a request is out; during a
   * backoff it goes to others, and the retry waits for a slot (before new turns) and the budgets.
   */
  async complete(driver: ModelDriver, request: ModelRequest, lease: Lease): Promise<ModelReply> {
    const maxRetries = this.options.maxRetries ?? param.modelMaxRetries;
    for (let attempt = 0; ; attempt++) {
      const gates = this.gatesOf(lease.lane);
      const tickets = gates.map((g) => g.send());
      const sentAt = performance.now();
      try {
        const reply = await driver.complete(request);
        const rtt = performance.now() - sentAt;
        gates.forEach((g, i) => g.success(tickets[i] ?? 0, rtt));
        this.learn(lease.lane, reply.rateLimit);
        return reply;
      } catch (error) {
        const failure = error as RetryableFailure;
        if (failure && isOverload(failure)) {
          const cut = gates.map((g, i) => g.overload(tickets[i] ?? 0));
          if (cut[0]) this.onOverload(providerOf(lease.lane));
        }
        if (request.signal.aborted || !failure?.retryable || attempt >= maxRetries) throw error;
        const delay = this.backoff(lease.lane, attempt, failure);
        this.onRetry(request, {
          attempt: attempt + 1,
          max: maxRetries,
          delayMs: Math.round(delay),
          kind: failure.kind ?? 'error',
          status: failure.status,
          message: (error as Error).message,
          endpoint: failure.endpoint,
        });
        this.vacate(lease, gates);
        await sleep(delay, request.signal);
        await this.reacquire(lease, request.signal);
        await this.awaitBudget(lease, request.signal);
      }
    }
  }

  private async reacquire(lease: Lease, signal: AbortSignal): Promise<void> {
    const gates = this.gatesOf(lease.lane);
    await this.waiters.wait(gates, signal);
    lease.held = true;
  }

  private backoff(model: string, attempt: number, failure: RetryableFailure): number {
    const base = this.options.backoffBaseMs ?? param.modelBackoffBaseMs;
    const max = this.options.backoffMaxMs ?? param.modelBackoffMaxMs;
    const jittered = this.random() * Math.min(max, base * 2 ** attempt);
    if (failure.kind === 'rate_limit') {
      const until = Date.now() + (failure.retryAfterMs ?? jittered);
      for (const g of this.gatesOf(model)) {
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
      const wait = Math.max(
        0,
        ...gates.map((g) => Math.max(g.rpm?.waitFor(1) ?? 0, g.tpm?.waitFor(lease.estimate) ?? 0)),
      );
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
    const gate = this.gate(providerOf(model), true);
    if (rateLimit.remainingRequests !== undefined) gate.rpm?.observeRemaining(rateLimit.remainingRequests);
    if (rateLimit.remainingTokens !== undefined) gate.tpm?.observeRemaining(rateLimit.remainingTokens);
  }

  /** Another node saw `provider` refuse: its adaptive limit is cut here too (once per refusal burst there). */
  overloadedElsewhere(provider: string): void {
    this.gates.get(provider)?.overloadElsewhere();
  }

  /** Fix a provider's limit from now on; 0 starts nothing more. */
  pin(provider: string, limit: number): void {
    this.gate(provider, true).pin(limit);
    this.waiters.grant();
    this.onCapacity();
  }

  /** Per provider: limit, in flight, retries waiting, rate headroom (`aos kernel status`, `aos top`). */
  providers(): ProviderFigures[] {
    return [...this.gates.values()].filter((g) => !g.key.includes(':')).map((g) => g.figures());
  }

  /** Headroom per provider with rate budgets (the older `rate_limits` field of the stats). */
  headroom(): Array<{ provider: string; rpm_left: number | null; tpm_left: number | null }> {
    return this.providers()
      .filter((p) => p.rpm_left !== null || p.tpm_left !== null)
      .map(({ provider, rpm_left, tpm_left }) => ({ provider, rpm_left, tpm_left }));
  }
}
