/**
 * A failure before any HTTP status arrived (fetch threw) as the driver's one typed failure
 * (provider-error.ts): undici's codes read along the cause chain; a timeout, a network error to
 * retry, or an address that is wrong or unserved — said at once, with the setting to check.
 */
import { param } from '../../sys/param.js';
import { excerpt, ProviderError, redact } from './provider-error.js';
import { isRecord } from './provider-headers.js';
import { boundSize, REPLY_TOO_LARGE } from '../reply-cap.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The first error along the cause chain that has a `code` (undici wraps the socket error in `cause`). */
function codedError(error: unknown): Record<string, unknown> | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isRecord(current); depth += 1) {
    // AggregateError (happy eyeballs over ::1 and 127.0.0.1) keeps the socket errors, with their addresses, in `errors`.
    if (Array.isArray(current.errors) && current.errors.length > 0) {
      const inner = codedError(current.errors[0]);
      if (inner) return inner;
    }
    if (typeof current.code === 'string') return current;
    current = current.cause;
  }
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  return codedError(error)?.code as string | undefined;
}

/**
 * Failures that say the address itself is wrong or nothing serves it: trying again in a few seconds
 * finds the same (a dead endpoint took 23 s of six retries to report). Said at once, with what to
 * check. A reset, an unreachable network or a timeout may pass, and is retried.
 */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'refused the connection',
  ENOTFOUND: 'is not a known host name',
};

/** Where a provider's base URL is set, by its model-id prefix (`openai:` → OPENAI_BASE_URL). */
const BASE_URL_SETTING: Record<string, string> = { openai: 'OPENAI_BASE_URL', gemini: 'GEMINI_BASE_URL' };

function unreachableError(model: string, code: string, error: unknown): ProviderError {
  const coded = codedError(error) ?? {};
  const host =
    typeof coded.address === 'string'
      ? coded.address
      : typeof coded.hostname === 'string'
        ? coded.hostname
        : 'the server';
  const where =
    typeof coded.port === 'number' && host !== 'the server'
      ? `${host.includes(':') ? `[${host}]` : host}:${coded.port}`
      : host;
  const setting = BASE_URL_SETTING[model.split(':')[0] ?? ''];
  const check = setting
    ? `is the model server running there, and is ${setting} right? The kernel reads it when it starts: after changing it, run \`aos kernel restart\``
    : 'is the model server running there, and is its address right?';
  return new ProviderError(
    'network',
    `${model}: cannot reach the model server: ${where} ${UNREACHABLE[code]} (${code}); ${check}`,
    {
      model,
      retryable: false,
      cause: { code },
    },
  );
}

/** The innermost message along the cause chain: "connect ECONNREFUSED ..." rather than "fetch failed". */
function innermostMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current.message.trim() !== '') message = current.message;
    current = current.cause;
  }
  return message;
}

/**
 * A failure before any HTTP status arrived (fetch threw) as a ProviderError, or undefined when it
 * is not a transport failure. The caller handles aborts (its own timeout vs the caller's signal).
 */
export function fromTransportError(model: string, error: unknown, secret?: string): ProviderError | undefined {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const inner = innermostMessage(error);
  const cause = code === undefined ? '' : ` (${code})`;
  if (code === REPLY_TOO_LARGE) {
    return new ProviderError(
      'malformed',
      `${model}: the reply passed ${boundSize(param.llmReplyMaxBytes)} (param.llmReplyMaxBytes), more than a model writes; it was cut off and nothing of it kept`,
      { model, retryable: false, cause: { code } },
    );
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new ProviderError('timeout', `${model}: timed out waiting for the provider${cause}`, { model });
  }
  if (code !== undefined && Object.hasOwn(UNREACHABLE, code)) return unreachableError(model, code, error);
  const fetchFailed = error instanceof TypeError && /fetch failed|terminated|network/i.test(message);
  if ((code !== undefined && NETWORK_CODES.has(code)) || fetchFailed) {
    return new ProviderError('network', `${model}: network error${cause}: ${excerpt(redact(inner, secret))}`, {
      model,
      cause: code === undefined ? undefined : { code },
    });
  }
  return undefined;
}
