/** One GET to one pinned address: no agent pooling, no DNS, connect timeout, abortable. */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { AosError } from '../../sys/errno.js';
import { parseHostLiteral } from './address-guard.js';
import type { PinnedAddress } from './resolve-pinned.js';

export interface HopResponse {
  response: IncomingMessage;
  /** Destroy the request and its socket; safe to call more than once. */
  close: () => void;
}

export interface HopOptions {
  connectTimeoutMs: number;
  headers: Record<string, string>;
}

/** Turn a socket / TLS failure into an errno the model can act on. */
export function toAosError(error: unknown, host: string): AosError {
  if (error instanceof AosError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return new AosError('EIO', `connection to ${host} refused`, { cause: error });
  return new AosError('EIO', `fetch from ${host} failed: ${detail}`, { cause: error });
}

function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AosError('EINTR', 'fetch was aborted');
}

/** Send the request to `pinned` while presenting `url`'s host in Host and (for https) SNI and certificate checks. */
export function requestHop(
  url: URL,
  pinned: PinnedAddress,
  options: HopOptions,
  signal: AbortSignal,
): Promise<HopResponse> {
  signal.throwIfAborted();
  const secure = url.protocol === 'https:';
  const request: http.RequestOptions = {
    method: 'GET',
    host: pinned.address,
    port: pinned.port,
    path: `${url.pathname}${url.search}`,
    headers: { ...options.headers, host: url.host },
    agent: false,
  };
  // SNI and certificate verification follow the name the agent asked for; IP literals send no SNI.
  const req = secure
    ? https.request({ ...request, servername: parseHostLiteral(url.hostname) === null ? url.hostname : '' })
    : http.request(request);
  return new Promise<HopResponse>((resolve, reject) => {
    let settled = false;
    const connectTimer = setTimeout(() => {
      req.destroy(
        new AosError('ETIMEDOUT', `connecting to ${url.host} took longer than ${options.connectTimeoutMs} ms`),
      );
    }, options.connectTimeoutMs);
    const onAbort = (): void => {
      req.destroy(reasonOf(signal));
    };
    const finish = (): void => {
      settled = true;
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
    };
    req.on('socket', (socket: Socket) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.once('response', (response) => {
      if (settled) return;
      finish();
      resolve({ response, close: () => req.destroy() });
    });
    // Stays attached for the life of the request so a late socket error is never unhandled.
    req.on('error', (error) => {
      if (settled) return;
      finish();
      req.destroy();
      reject(toAosError(error, url.host));
    });
    signal.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}
