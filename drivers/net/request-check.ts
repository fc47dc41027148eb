/** Checks on what the agent asks for before any socket opens: the URL and its request headers. */
import { AosError, type Errno } from '../../sys/errno.js';

const MAX_HEADERS = 32;
const MAX_HEADER_BYTES = 8 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

// Hop-by-hop or routing headers: the driver owns these, the agent must not steer them.
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'accept-encoding',
]);

// Sent only to the origin the agent named; dropped when a redirect leaves it.
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie'];

/** Parse a URL and insist on plain http(s) without credentials. */
export function checkUrl(raw: string, schemeErrno: Errno): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AosError('EINVAL', `invalid URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AosError(schemeErrno, `only http and https URLs are allowed (got ${url.protocol})`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new AosError(schemeErrno, 'URLs with credentials (user:pass@) are not allowed');
  }
  url.hash = '';
  return url;
}

/** Validate the agent's headers and return them with lower-case names. */
export function checkHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const entries = Object.entries(headers ?? {});
  if (entries.length > MAX_HEADERS) {
    throw new AosError('EINVAL', `too many request headers (${entries.length} > ${MAX_HEADERS})`);
  }
  const checked: Record<string, string> = {};
  let size = 0;
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (!TOKEN.test(name)) throw new AosError('EINVAL', `invalid header name: ${JSON.stringify(rawName)}`);
    if (FORBIDDEN_HEADERS.has(name) || name.startsWith('proxy-')) {
      throw new AosError('EINVAL', `header ${rawName} may not be set by the caller`);
    }
    if (typeof value !== 'string' || BAD_VALUE.test(value)) {
      throw new AosError('EINVAL', `invalid value for header ${rawName}`);
    }
    size += name.length + value.length + 4;
    checked[name] = value;
  }
  if (size > MAX_HEADER_BYTES) {
    throw new AosError('EINVAL', `request headers too large (${size} > ${MAX_HEADER_BYTES} bytes)`);
  }
  return checked;
}

/** Headers for the next hop: credentials do not follow a redirect to another origin. */
export function headersForHop(
  headers: Record<string, string>,
  from: URL,
  to: URL,
  alsoBound: readonly string[] = [],
): Record<string, string> {
  if (from.origin === to.origin) return headers;
  const kept = { ...headers };
  for (const name of [...ORIGIN_BOUND_HEADERS, ...alsoBound]) delete kept[name];
  return kept;
}

/** A text body is decoded for the model; anything else is reported by size only. */
export function isTextContentType(contentType: string): boolean {
  const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return /^text\/|[/+](json|xml)$|javascript|ecmascript/.test(mime);
}
