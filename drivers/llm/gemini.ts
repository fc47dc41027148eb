/**
 * The Gemini model driver, on Google's `@google/genai` SDK (Gemini Developer API, not Vertex).
 * One `generateContent` request per call, or `generateContentStream` when the caller takes the text
 * as it comes (`onText`, gemini-stream.ts): the SDK's retries stay off (no `retryOptions`) and so
 * does its automatic continuation; failures are ProviderErrors for the model pool to judge.
 *
 * Wire (verified against @google/genai 2.32): `POST {baseUrl}/v1beta/models/{model}:generateContent`,
 * the key in the `x-goog-api-key` header (never in the URL), body `{contents, systemInstruction,
 * generationConfig?}`. A per-request `httpOptions.fetch` wrapper keeps the raw Response so that
 * status, `Retry-After` and `x-ratelimit-*` headers survive the SDK's error conversion, and tells
 * the call's deadlines (deadline.ts) when the answer begins; node's own timeouts are lifted there.
 */
import { ApiError, GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import { AosError } from '../../sys/errno.js';
import { deadlinesOf, type ModelDeadlines } from '../../sys/model-limits.js';
import { progressOf, withDeadline } from './deadline.js';
import { shownEndpoint } from './deadline-errors.js';
import { counted, fetchUnbounded, geminiProbe } from './gemini-fetch.js';
import { isReplyTooLarge } from '../reply-cap.js';
import { gather } from './gemini-stream.js';
import { blockedError, excerpt, fromHttpFailure, malformedError, ProviderError, redact } from './provider-error.js';
import { parseRateLimitHeaders } from './provider-headers.js';
import { replyBound } from './reply-bound.js';
import type { OpenContext } from './provider.js';
import type { ModelDriver, ModelReply, ModelRequest, ModelUsage } from './types.js';

/** Candidate finish reasons that mean a filter withheld the reply (when it carries no text). */
const BLOCKING_FINISH_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
]);

export interface GeminiDriverOptions {
  /** e.g. `gemini-2.5-flash` (the provider table suggests its default). */
  model: string;
  /** Defaults to GEMINI_API_KEY, then GOOGLE_API_KEY. */
  apiKey?: string;
  /** Defaults to GEMINI_BASE_URL, else the SDK's default (generativelanguage.googleapis.com). */
  baseUrl?: string;
  /** How long a call may take (AOS_LIMITS, sys/model-limits.ts); param's defaults when absent. */
  deadlines?: ModelDeadlines;
  /** Defaults to process.env (read once, at creation). */
  env?: NodeJS.ProcessEnv;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Split `http://host/v1beta` into the SDK's base URL and API version; undefined version = SDK default. */
export function splitGeminiBaseUrl(raw: string): { baseUrl: string; apiVersion?: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AosError(
      'EINVAL',
      `GEMINI_BASE_URL "${raw}" is not a URL (e.g. https://generativelanguage.googleapis.com)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AosError('EINVAL', `GEMINI_BASE_URL "${raw}" must be http(s)`);
  }
  const trimmed = raw.replace(/\/+$/, '');
  const version = /\/(v1beta|v1alpha|v1)$/.exec(trimmed);
  if (version?.[1] !== undefined) return { baseUrl: trimmed.slice(0, -version[0].length), apiVersion: version[1] };
  return { baseUrl: trimmed };
}

/** The provider table's entry point (provider.ts): the base URL comes from the table's endpoint. */
export function open(model: string, context: OpenContext): ModelDriver {
  return createGeminiDriver({
    model,
    deadlines: context.deadlines,
    env: context.env,
    baseUrl: context.baseUrl ?? undefined,
  });
}

export function createGeminiDriver(options: GeminiDriverOptions): ModelDriver {
  const env = options.env ?? process.env;
  const model = nonEmpty(options.model);
  if (model === undefined)
    throw new AosError('EINVAL', 'gemini: a model name is required (e.g. gemini:gemini-2.5-flash)');
  const id = `gemini:${model}`;
  const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env.GEMINI_API_KEY) ?? nonEmpty(env.GOOGLE_API_KEY);
  if (apiKey === undefined) {
    throw new AosError(
      'EINVAL',
      `${id} needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) to a Gemini API key from https://aistudio.google.com/apikey`,
    );
  }
  const rawBase = nonEmpty(options.baseUrl) ?? nonEmpty(env.GEMINI_BASE_URL);
  const base = rawBase === undefined ? undefined : splitGeminiBaseUrl(rawBase);
  const ai = new GoogleGenAI({
    apiKey,
    // Explicit: GOOGLE_GENAI_USE_VERTEXAI in the environment must not switch backends under us.
    vertexai: false,
    ...(base?.apiVersion === undefined ? {} : { apiVersion: base.apiVersion }),
    ...(base === undefined ? {} : { httpOptions: { baseUrl: base.baseUrl } }),
  });
  const server = base?.baseUrl ?? 'https://generativelanguage.googleapis.com';
  const deadlines = options.deadlines ?? deadlinesOf({}, id);
  const probe = geminiProbe(server, base?.apiVersion ?? 'v1beta', apiKey);

  const complete = (request: ModelRequest): Promise<ModelReply> =>
    withDeadline(
      { model: id, endpoint: shownEndpoint(server), deadlines, probe, signal: request.signal, secret: apiKey },
      async (signal) => {
        // The raw Response of this call (the SDK keeps only status and body text on failure).
        let raw: Response | undefined;
        const capture = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
          raw = await fetchUnbounded(input, init);
          progressOf(signal)?.began();
          return raw;
        };
        const params = {
          model,
          contents: request.messages.map((message) => ({ role: message.role, parts: [{ text: message.text }] })),
          config: {
            ...(request.system === '' ? {} : { systemInstruction: { parts: [{ text: request.system }] } }),
            // The reply's bound, thinking included: without it the model's own maximum (65,536 for 2.5) applies.
            maxOutputTokens: replyBound(request),
            abortSignal: signal,
            automaticContinuation: false,
            httpOptions: { fetch: capture },
          },
        };
        let response: GenerateContentResponse;
        try {
          const { onText } = request;
          response =
            onText === undefined
              ? await ai.models.generateContent(params)
              : await gather(counted(await ai.models.generateContentStream(params), progressOf(signal)), onText);
        } catch (error) {
          if (signal.aborted) throw error; // withDeadline tells caller abort from timeout
          throw toProviderError(id, error, raw, apiKey);
        }
        return toReply(id, response, raw, apiKey);
      },
    );

  return { id, complete };
}

/** An SDK failure as a ProviderError, using the captured Response when there is one. */
function toProviderError(id: string, error: unknown, raw: Response | undefined, secret: string): unknown {
  // A body cut off past its bound: withDeadline says so (transport-error.ts), whatever the SDK made of it.
  if (error instanceof ProviderError || isReplyTooLarge(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError || (raw !== undefined && !raw.ok)) {
    // ApiError.message is the JSON error body the SDK read (or {error:{message:text}}).
    const status = error instanceof ApiError ? error.status : (raw?.status ?? 0);
    return fromHttpFailure({ model: id, status, headers: raw?.headers ?? new Headers(), bodyText: message, secret });
  }
  if (raw !== undefined && raw.ok) {
    // Headers arrived fine, then the body did not parse.
    return malformedError(id, message, secret, raw.status);
  }
  if (raw === undefined && !(error instanceof TypeError)) {
    // Thrown before any request left (the SDK validating parameters): our bug or a bad model name.
    return new ProviderError('bad_request', `${id}: ${excerpt(redact(message, secret))}`, { model: id });
  }
  return error; // transport failure: withDeadline classifies it
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function toReply(
  id: string,
  response: GenerateContentResponse,
  raw: Response | undefined,
  secret?: string,
): ModelReply {
  if (!isRecord(response)) throw malformedError(id, 'the reply is not an object', secret);
  const feedback = response.promptFeedback;
  if (isRecord(feedback) && typeof feedback.blockReason === 'string' && feedback.blockReason !== '') {
    throw blockedError(id, 'prompt', feedback.blockReason, stringOrUndefined(feedback.blockReasonMessage));
  }
  const candidates = Array.isArray(response.candidates) ? response.candidates : [];
  const candidate = candidates[0];
  if (!isRecord(candidate)) {
    throw malformedError(id, `the reply has no candidates: ${JSON.stringify(withoutHttp(response))}`, secret);
  }
  const parts = isRecord(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
  // Thought summaries (`thought: true`) are not the answer.
  const text = parts
    .filter((part) => isRecord(part) && typeof part.text === 'string' && part.thought !== true)
    .map((part) => part.text ?? '')
    .join('');
  const finishReason = typeof candidate.finishReason === 'string' ? candidate.finishReason : undefined;
  if (text === '' && finishReason !== undefined && BLOCKING_FINISH_REASONS.has(finishReason)) {
    throw blockedError(id, 'reply', finishReason, stringOrUndefined(candidate.finishMessage));
  }
  const reply: ModelReply = { text };
  const usage = toUsage(response.usageMetadata);
  if (usage !== undefined) reply.usage = usage;
  if (finishReason !== undefined) reply.finishReason = finishReason;
  const rateLimit = raw === undefined ? undefined : parseRateLimitHeaders(raw.headers);
  if (rateLimit !== undefined) reply.rateLimit = rateLimit;
  return reply;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function withoutHttp(response: GenerateContentResponse): unknown {
  const { sdkHttpResponse: _ignored, ...rest } = response;
  return rest;
}

function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** promptTokenCount (+ tool-use prompt) → prompt; candidates + thoughts → output; cached as is. */
export function toUsage(metadata: GenerateContentResponse['usageMetadata']): ModelUsage | undefined {
  if (!isRecord(metadata)) return undefined;
  const prompt = tokens(metadata.promptTokenCount);
  const candidates = tokens(metadata.candidatesTokenCount);
  const thoughts = tokens(metadata.thoughtsTokenCount);
  if (prompt === undefined && candidates === undefined && thoughts === undefined) return undefined;
  const usage: ModelUsage = {
    prompt: (prompt ?? 0) + (tokens(metadata.toolUsePromptTokenCount) ?? 0),
    output: (candidates ?? 0) + (thoughts ?? 0),
  };
  const cached = tokens(metadata.cachedContentTokenCount);
  if (cached !== undefined) usage.cached = cached;
  return usage;
}
