/**
 * Deciding a request's answer at arrival, from the behaviour in force: an up-front refusal (not
 * JSON, a wrong key, over capacity, the limiter's 429), an injected fault, or a reply.
 */
import type http from 'node:http';
import { type Answered, rateLimitHeaders, send, sendFault } from './answer.js';
import type { Headroom, WindowLimiter } from './limiter.js';
import { DEFAULT_FAKE_REPLY, type FakeBehavior, type FakeRequestContext } from './types.js';
import { sendStream } from './stream.js';
import {
  defaultFinishReason,
  errorBody,
  estimateTokens,
  type FakeUsage,
  quotaFailure,
  retryInfo,
  successBody,
} from './wire.js';

/** The server's live state: what it has counted, and the limiter in force. */
export interface ServerState {
  limiter: WindowLimiter | undefined;
  /** Requests received (the next one's index), and how those answered ended. */
  received: number;
  ok: number;
  rateLimited: number;
  errors: number;
  /** Tokens reported in successful replies. */
  tokens: number;
  inFlight: number;
  maxInFlight: number;
  /** Requests being served (past the up-front refusals), and the most at once. */
  serving: number;
  maxServing: number;
  limiterRejections: number;
  capacityRejections: number;
  /** Set by close(): a hanging answer cut then is recorded as `hang`, not `aborted`. */
  closing: boolean;
}

/**
 * Decide at arrival what the answer will be. Refusals a real provider makes up front (a body
 * that is not JSON, a wrong key, the limiter's 429) go out at once; replies and injected faults
 * go out after the configured latency. The limiter counts a request when it arrives.
 */
export function plan(
  state: ServerState,
  ctx: FakeRequestContext,
  current: FakeBehavior,
  parsed: boolean,
  presentedKey: string | undefined,
): { immediate: boolean; run: (res: http.ServerResponse) => Answered } {
  const { format } = ctx;
  const extra = current.headers ?? {};
  const limitHeaders = (headroom: Headroom | undefined): Record<string, string> =>
    headroom !== undefined && (current.rateLimitHeaders ?? current.limits !== undefined)
      ? rateLimitHeaders(headroom)
      : {};
  if (!parsed) {
    return {
      immediate: true,
      run: (res) => {
        send(res, 400, errorBody(format, 400, 'fake provider: the request body is not JSON'), extra);
        return { outcome: 'error', status: 400 };
      },
    };
  }
  if (current.apiKey !== undefined && presentedKey !== current.apiKey) {
    return { immediate: true, run: (res) => sendFault(ctx, { kind: 'auth' }, null, { ...extra }, res) };
  }
  if (current.maxConcurrent !== undefined && state.serving >= current.maxConcurrent) {
    state.capacityRejections += 1;
    const message = `fake provider: overloaded, ${current.maxConcurrent} requests already in progress`;
    return {
      immediate: true,
      run: (res) => sendFault(ctx, { kind: 'server', status: 503, message }, null, { ...extra }, res),
    };
  }
  const fault = typeof current.fault === 'function' ? current.fault(ctx) : current.fault;
  const text = typeof current.reply === 'function' ? current.reply(ctx) : (current.reply ?? DEFAULT_FAKE_REPLY);
  const usage = usageFor(ctx, current, text);
  if (fault !== undefined) {
    return {
      immediate: false,
      run: (res) => sendFault(ctx, fault, usage, { ...limitHeaders(state.limiter?.headroom()), ...extra }, res),
    };
  }
  let headroom: Headroom | undefined;
  if (state.limiter !== undefined) {
    const tokens = usage === null ? 0 : usage.prompt + usage.output + (usage.thoughts ?? 0);
    const admission = state.limiter.admit(tokens);
    headroom = admission.headroom;
    if (!admission.ok) {
      state.limiterRejections += 1;
      const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
      const limit = admission.limit === 'requests' ? current.limits?.rpm : current.limits?.tpm;
      const message = `fake provider: ${admission.limit} per minute limit reached (limit ${limit}), retry in ${seconds}s`;
      const details =
        format === 'gemini' ? [quotaFailure(`${admission.limit}_per_minute`), retryInfo(seconds * 1000)] : [];
      const headers = { 'retry-after': String(seconds), ...limitHeaders(admission.headroom), ...extra };
      return {
        immediate: true,
        run: (res) => {
          send(res, 429, errorBody(format, 429, message, details), headers);
          return { outcome: 'rate_limited', status: 429 };
        },
      };
    }
  }
  const finish =
    typeof current.finishReason === 'function'
      ? current.finishReason(ctx)
      : (current.finishReason ?? defaultFinishReason(format));
  return {
    immediate: false,
    run: (res) => {
      const headers = { ...limitHeaders(headroom), ...extra };
      if (ctx.stream && current.streams !== false) {
        const includeUsage =
          format === 'gemini' ||
          (isRecord(ctx.body) && isRecord(ctx.body.stream_options) && ctx.body.stream_options.include_usage === true);
        sendStream(
          res,
          { format, model: ctx.model, text, usage, finishReason: finish, includeUsage },
          headers,
          current.streamGapMs ?? 0,
        );
      } else {
        send(res, 200, successBody(format, ctx.model, text, usage, finish), headers);
      }
      return usage === null ? { outcome: 'ok', status: 200 } : { outcome: 'ok', status: 200, usage };
    },
  };
}

/** The usage a reply reports: the behaviour's, or an estimate of 4 characters a token. */
function usageFor(ctx: FakeRequestContext, current: FakeBehavior, text: string): FakeUsage | null {
  if (typeof current.usage === 'function') return current.usage(ctx, text);
  if (current.usage !== undefined) return current.usage;
  const promptText = ctx.system + ctx.messages.map((message) => message.text).join('');
  return { prompt: estimateTokens(promptText), output: estimateTokens(text) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
