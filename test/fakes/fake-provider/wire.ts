/** The two wire formats the fake provider speaks: Gemini generateContent and OpenAI chat completions. */

export type WireFormat = 'gemini' | 'openai';

export interface FakeMessage {
  role: 'user' | 'model';
  text: string;
}

/** Usage the fake reports, in neutral terms; rendered in each provider's own fields. */
export interface FakeUsage {
  prompt: number;
  output: number;
  cached?: number;
  /** Thinking tokens: Gemini `thoughtsTokenCount`; OpenAI adds them to completion_tokens. */
  thoughts?: number;
}

export interface Route {
  format: WireFormat;
  model: string;
  /** The client asked for the reply as a stream (OpenAI `stream: true`, Gemini streamGenerateContent). */
  stream: boolean;
}

const GEMINI_PATH = /^\/(v1beta|v1alpha|v1)\/models\/([^/]+):(generateContent|streamGenerateContent)$/;
const OPENAI_PATHS = new Set(['/v1/chat/completions', '/chat/completions']);

/** Which format a POST path speaks (model from the path for Gemini, from the body for OpenAI). */
export function route(path: string, body: unknown): Route | undefined {
  const gemini = GEMINI_PATH.exec(path);
  if (gemini?.[2] !== undefined)
    return { format: 'gemini', model: decodeURIComponent(gemini[2]), stream: gemini[3] === 'streamGenerateContent' };
  if (OPENAI_PATHS.has(path)) {
    const model = isRecord(body) && typeof body.model === 'string' ? body.model : '';
    return { format: 'openai', model, stream: isRecord(body) && body.stream === true };
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function partsText(content: unknown): string {
  if (!isRecord(content) || !Array.isArray(content.parts)) return '';
  return content.parts.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

function openaiContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
  }
  return '';
}

/** The system prompt and transcript a request carries, in neutral terms. */
export function readPrompt(format: WireFormat, body: unknown): { system: string; messages: FakeMessage[] } {
  const messages: FakeMessage[] = [];
  if (!isRecord(body)) return { system: '', messages };
  if (format === 'gemini') {
    const system = partsText(body.systemInstruction);
    for (const content of Array.isArray(body.contents) ? body.contents : []) {
      if (!isRecord(content)) continue;
      messages.push({ role: content.role === 'model' ? 'model' : 'user', text: partsText(content) });
    }
    return { system, messages };
  }
  const system: string[] = [];
  for (const message of Array.isArray(body.messages) ? body.messages : []) {
    if (!isRecord(message)) continue;
    const text = openaiContent(message.content);
    if (message.role === 'system' || message.role === 'developer') system.push(text);
    else messages.push({ role: message.role === 'assistant' ? 'model' : 'user', text });
  }
  return { system: system.join('\n'), messages };
}

/** A rough token estimate (4 characters a token), for default usage figures. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function defaultFinishReason(format: WireFormat): string {
  return format === 'gemini' ? 'STOP' : 'stop';
}

let completionCounter = 0;

export function successBody(
  format: WireFormat,
  model: string,
  text: string,
  usage: FakeUsage | null,
  finishReason: string,
): Record<string, unknown> {
  if (format === 'gemini') {
    const body: Record<string, unknown> = {
      candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason, index: 0 }],
      modelVersion: model,
      responseId: `fake-${(completionCounter += 1)}`,
    };
    if (usage !== null) body.usageMetadata = geminiUsage(usage);
    return body;
  }
  const body: Record<string, unknown> = {
    id: `chatcmpl-fake-${(completionCounter += 1)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }],
  };
  if (usage !== null) body.usage = openaiUsage(usage);
  return body;
}

export function geminiUsage(usage: FakeUsage): Record<string, number> {
  const metadata: Record<string, number> = {
    promptTokenCount: usage.prompt,
    candidatesTokenCount: usage.output,
    totalTokenCount: usage.prompt + usage.output + (usage.thoughts ?? 0),
  };
  if (usage.cached !== undefined) metadata.cachedContentTokenCount = usage.cached;
  if (usage.thoughts !== undefined) metadata.thoughtsTokenCount = usage.thoughts;
  return metadata;
}

export function openaiUsage(usage: FakeUsage): Record<string, unknown> {
  const completion = usage.output + (usage.thoughts ?? 0);
  const body: Record<string, unknown> = {
    prompt_tokens: usage.prompt,
    completion_tokens: completion,
    total_tokens: usage.prompt + completion,
  };
  if (usage.cached !== undefined) body.prompt_tokens_details = { cached_tokens: usage.cached };
  if (usage.thoughts !== undefined) body.completion_tokens_details = { reasoning_tokens: usage.thoughts };
  return body;
}

/** A safety block: Gemini `promptFeedback.blockReason` or a SAFETY candidate; OpenAI `content_filter`. */
export function blockedBody(
  format: WireFormat,
  model: string,
  stage: 'prompt' | 'reply',
  reason: string | undefined,
  usage: FakeUsage | null,
): Record<string, unknown> {
  if (format === 'gemini') {
    const body: Record<string, unknown> =
      stage === 'prompt'
        ? { promptFeedback: { blockReason: reason ?? 'SAFETY' }, modelVersion: model }
        : { candidates: [{ finishReason: reason ?? 'SAFETY', index: 0 }], modelVersion: model };
    if (usage !== null) body.usageMetadata = geminiUsage({ ...usage, output: 0 });
    return body;
  }
  const body: Record<string, unknown> = {
    id: `chatcmpl-fake-${(completionCounter += 1)}`,
    object: 'chat.completion',
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: null }, finish_reason: reason ?? 'content_filter' }],
  };
  if (usage !== null) body.usage = openaiUsage({ ...usage, output: 0 });
  return body;
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const OPENAI_ERROR: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
  404: { type: 'invalid_request_error', code: 'model_not_found' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
  500: { type: 'server_error', code: null },
  503: { type: 'server_error', code: null },
};

/** An error body in the provider's shape; Gemini's may carry google.rpc details. */
export function errorBody(
  format: WireFormat,
  status: number,
  message: string,
  details: Array<Record<string, unknown>> = [],
): Record<string, unknown> {
  if (format === 'gemini') {
    const error: Record<string, unknown> = { code: status, message, status: GOOGLE_STATUS[status] ?? 'UNKNOWN' };
    if (details.length > 0) error.details = details;
    return { error };
  }
  const kind = OPENAI_ERROR[status] ?? { type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null };
  return { error: { message, type: kind.type, param: null, code: kind.code } };
}

export function retryInfo(retryAfterMs: number): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.ceil(retryAfterMs / 1000)}s` };
}

export function quotaFailure(metric: string): Record<string, unknown> {
  return {
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [{ quotaMetric: `generativelanguage.googleapis.com/${metric}`, quotaId: metric }],
  };
}

export function keyInvalidInfo(): Record<string, unknown> {
  return {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'API_KEY_INVALID',
    domain: 'googleapis.com',
    metadata: { service: 'generativelanguage.googleapis.com' },
  };
}

/** A Go-style duration for x-ratelimit-reset-*: `20ms`, `1s`, `6m0s`. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = Math.ceil(ms / 100) / 10;
  if (seconds < 60) return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  return `${minutes}m${rest}s`;
}
