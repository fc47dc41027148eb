/**
 * NET_FETCH's driver: a GET that can only reach public addresses (or ones policy opens), re-checks
 * every redirect hop, and never holds more than `maxBodyBytes` or runs past its deadline.
 */
import type { NetFetchResult } from '../../sys/driver-api.js';
import { AosError } from '../../sys/errno.js';
import { decodeBody, readBody } from './read-body.js';
import { requestHop } from './request-hop.js';
import { checkHeaders, checkUrl, headersForHop } from './request-check.js';
import { markOutside } from './outside-words.js';
import { resolvePinned, type Resolver } from './resolve-pinned.js';

export type { ResolvedAddress, Resolver } from './resolve-pinned.js';

export interface NetFetchOptions {
  maxBodyBytes: number;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxRedirects: number;
  /** Capability check, asked for every hop with the URL's hostname (IPv6 in brackets). */
  allowHost: (host: string) => boolean;
  /** Explicit policy openings for otherwise blocked addresses; default none. */
  allowPrivate?: (ip: string, port: number) => boolean;
  /** Header names (lower case) that never follow a redirect to another origin, beyond authorization and cookie (headers carrying a secret). */
  originBound?: readonly string[];
  userAgent?: string;
  /** Replaces the system resolver (tests, custom DNS); every answer is still checked and pinned. */
  resolve?: Resolver;
}

export type { NetFetchResult } from '../../sys/driver-api.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_USER_AGENT = 'aos-net-fetch/0.1';

function checkCapability(url: URL, options: NetFetchOptions): void {
  if (!options.allowHost(url.hostname)) {
    throw new AosError('EPERM', `no capability to fetch from ${url.hostname}`);
  }
}

function nextHop(current: URL, location: string, redirects: string[], maxRedirects: number): URL {
  let target: string;
  try {
    target = new URL(location, current).href;
  } catch {
    throw new AosError('EIO', `invalid redirect location from ${current.host}: ${location}`);
  }
  const next = checkUrl(target, 'EACCES');
  if (redirects.length >= maxRedirects) {
    throw new AosError('EIO', `too many redirects (more than ${maxRedirects})`);
  }
  return next;
}

async function fetchHops(
  start: URL,
  agentHeaders: Record<string, string>,
  options: NetFetchOptions,
  signal: AbortSignal,
): Promise<NetFetchResult> {
  const redirects: string[] = [];
  let current = start;
  let headers = agentHeaders;
  let answered = false;
  try {
    for (;;) {
      checkCapability(current, options);
      const pinned = await resolvePinned(current, options, signal);
      const hopHeaders = {
        'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
        ...headers,
        'accept-encoding': 'identity',
      };
      const { response, close } = await requestHop(
        current,
        pinned,
        { connectTimeoutMs: options.connectTimeoutMs, headers: hopHeaders },
        signal,
      );
      answered = true;
      try {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          const next = nextHop(current, location, redirects, options.maxRedirects);
          redirects.push(next.href);
          headers = headersForHop(headers, current, next, options.originBound);
          current = next;
          continue;
        }
        const contentType = response.headers['content-type'] ?? '';
        const { buffer, truncated } = await readBody(response, options.maxBodyBytes, signal, current.host);
        const body = decodeBody(buffer, contentType);
        return {
          url: current.href,
          status,
          content_type: contentType,
          body,
          encoding: body === null ? 'none' : 'utf8',
          bytes: buffer.length,
          truncated,
          redirects,
        };
      } finally {
        close();
      }
    }
  } catch (error) {
    // Once a server has answered, a failure may quote it: its Location, a host it sent the request
    // on to, what went wrong reading its body. Marked, so the kernel frames the message (outside-words.ts).
    throw answered ? markOutside(error, start.href) : error;
  }
}

/** GET `url` through the guard: see NetFetchOptions. HTTP error statuses are results, not errors. */
export async function guardedFetch(
  url: string,
  headers: Record<string, string> | undefined,
  options: NetFetchOptions,
  signal?: AbortSignal,
): Promise<NetFetchResult> {
  const start = checkUrl(url, 'EINVAL');
  const agentHeaders = checkHeaders(headers);
  const control = new AbortController();
  const timer = setTimeout(() => {
    control.abort(new AosError('ETIMEDOUT', `fetch took longer than ${options.totalTimeoutMs} ms`));
  }, options.totalTimeoutMs);
  const onAbort = (): void => control.abort(new AosError('EINTR', 'fetch was aborted'));
  if (signal?.aborted === true) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fetchHops(start, agentHeaders, options, control.signal);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
