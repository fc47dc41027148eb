/**
 * The failures of a provider call's deadlines (deadline.ts): each names where the request went and
 * the setting that bounds the wait, so that whoever reads it knows what to check or raise.
 */
import type { ModelDeadlines } from '../../sys/model-limits.js';
import { ProviderError } from './provider-error.js';

export interface DeadlineSubject {
  /** The driver id, e.g. `openai:llama3.1:8b`. */
  model: string;
  /** Where requests go, as shownEndpoint gives it. */
  endpoint: string;
  deadlines: ModelDeadlines;
}

/** `45 s`, `0.3 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** A base URL as messages show it: no user name, password, query or fragment (a key may sit in any). */
export function shownEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
  } catch {
    return '(an unreadable base URL)';
  }
}

const CHECK = 'is a model server up there, and is the address right?';

/**
 * Nothing answered: not the request within first_byte_s (or its connection within node's connect
 * timeout), nor a second, small request (the probe). Not retried: a retry would find the same, later.
 */
export function deadError(subject: DeadlineSubject, how: 'silent' | 'connect'): ProviderError {
  const { model, endpoint, deadlines } = subject;
  const probe = `nor to a second request there within ${seconds(deadlines.probeMs)}`;
  const message =
    how === 'silent'
      ? `${model}: no answer from ${endpoint} within ${seconds(deadlines.firstByteMs)}, ${probe}: ${CHECK} (${deadlines.settings.firstByte})`
      : `${model}: ${endpoint} took no connection within node's connect timeout (UND_ERR_CONNECT_TIMEOUT), ${probe}: ${CHECK}`;
  return new ProviderError('timeout', message, { model, endpoint, retryable: false });
}

/** A stream that had begun went quiet. Retried, as a cut stream is. */
export function idleError({ model, endpoint, deadlines }: DeadlineSubject): ProviderError {
  return new ProviderError(
    'timeout',
    `${model}: the answer from ${endpoint} stopped: nothing for ${seconds(deadlines.idleMs)} (${deadlines.settings.idle})`,
    { model, endpoint },
  );
}

/** The server is there (it answered, or answered the probe) but the answer did not end in time. */
export function replyError({ model, endpoint, deadlines }: DeadlineSubject): ProviderError {
  return new ProviderError(
    'timeout',
    `${model}: no whole answer from ${endpoint} within ${seconds(deadlines.replyMs)} (${deadlines.settings.reply})`,
    { model, endpoint },
  );
}

/** Node's fetch gave up connecting (its connect timeout; the OpenAI driver's own pool has none: first_byte_s bounds it). */
export function isConnectTimeout(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ((current as { code?: unknown }).code === 'UND_ERR_CONNECT_TIMEOUT') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The error, saying where its request went (the pool's retry events and the logs name it). */
export function withEndpoint(error: ProviderError, endpoint: string): ProviderError {
  if (error.endpoint === undefined) (error as { endpoint?: string }).endpoint = endpoint;
  return error;
}
