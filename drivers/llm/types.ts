/** The contract every model driver (gemini, openai-compatible, replay) implements. */

export interface ModelMessage {
  /** `user` carries the kernel's messages (task, syscall results, events); `model` the replies. */
  role: 'user' | 'model';
  text: string;
}

export interface ModelProcInfo {
  pid: number;
  name: string;
  /** 0-based index of this inference for the process (its turn counter before the call). */
  turn: number;
}

export interface ModelRequest {
  system: string;
  /** Alternating, starting and ending with `user`. */
  messages: ModelMessage[];
  proc: ModelProcInfo;
  signal: AbortSignal;
  /**
   * The most tokens the reply may take (thinking included), sent to the provider; param's
   * modelMaxOutputTokens when absent (reply-bound.ts). A budget reserves it before the request leaves.
   */
  maxOutputTokens?: number;
  /**
   * Set when someone watches the reply as it is written: a driver that can stream calls it with
   * each piece of the text as it arrives, and still resolves with the whole reply. Pieces of an
   * attempt that then fails are not taken back (the caller hears of the retry on its own).
   */
  onText?: (delta: string) => void;
}

export interface ModelUsage {
  /** Input tokens, cached ones included (both Gemini and OpenAI count them this way). */
  prompt: number;
  /** Generated tokens, thinking/reasoning tokens included. */
  output: number;
  /** The part of `prompt` served from the provider's cache (billed at the cached rate). */
  cached?: number;
}

/**
 * Rate-limit headroom a provider reported (OpenAI-style `x-ratelimit-*` headers), on a reply
 * or on a failure, so a pool can learn it. Every field is absent unless the provider sent it.
 */
export interface RateLimitInfo {
  limitRequests?: number;
  remainingRequests?: number;
  limitTokens?: number;
  remainingTokens?: number;
  /** Until the request budget is fully replenished. */
  resetRequestsMs?: number;
  /** Until the token budget is fully replenished. */
  resetTokensMs?: number;
}

export interface ModelReply {
  text: string;
  /** From the provider's figures; absent when the provider reported none (never guessed). */
  usage?: ModelUsage;
  finishReason?: string;
  /** Rate-limit headers the provider sent with this reply; absent when it sent none. */
  rateLimit?: RateLimitInfo;
}

export interface ModelDriver {
  /** `provider:model`, e.g. `replay:/abs/tape.yaml`, `gemini:gemini-2.5-flash`. */
  readonly id: string;
  /** The model's context window in tokens when the provider told the driver; the price table's figure otherwise. */
  readonly contextWindow?: number;
  complete(request: ModelRequest): Promise<ModelReply>;
  /** Whether what it was made from has changed since (a replay tape edited): the registry makes it again. */
  stale?(): boolean;
}

/** Thrown by a driver when the process cannot go on (tape exhausted, expectation failed). */
export class ModelStop extends Error {
  override readonly name = 'ModelStop';
  constructor(readonly reason: string) {
    super(reason);
  }
}
