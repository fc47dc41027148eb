/**
 * Resolve a URL's host once, check every answer, and hand back the one address the socket will
 * use. Connecting to exactly the checked address is what defeats DNS rebinding.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AosError } from '../../sys/errno.js';
import { classifyAddress, parseHostLiteral } from './address-guard.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface PinnedAddress {
  address: string;
  port: number;
}

export interface PinPolicy {
  allowPrivate?: (ip: string, port: number) => boolean;
  resolve?: Resolver;
}

/** The system resolver (getaddrinfo, so /etc/hosts counts), every answer in resolver order. */
export async function lookupAll(host: string): Promise<ResolvedAddress[]> {
  return lookup(host, { all: true, verbatim: true });
}

/** Settle with the promise, or reject with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function resolveError(host: string, error: unknown): AosError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOTFOUND' || code === 'ENODATA')
    return new AosError('ENOENT', `cannot resolve ${host}`, { cause: error });
  if (code === 'EAI_AGAIN') return new AosError('EAGAIN', `temporary failure resolving ${host}`, { cause: error });
  return new AosError('EIO', `resolving ${host} failed: ${String(code ?? error)}`, { cause: error });
}

function describeBlocked(address: string, range: string): string {
  if (range === 'invalid') return `resolver returned an invalid address: ${address}`;
  const article = /^[aeiou]/i.test(range) ? 'an' : 'a';
  return `address ${address} is in ${article} ${range} range`;
}

/** Resolve `url`'s host, refuse if any answer is blocked (unless policy opens it), pin the first. */
export async function resolvePinned(url: URL, policy: PinPolicy, signal: AbortSignal): Promise<PinnedAddress> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const literal = parseHostLiteral(url.hostname);
  let answers: ResolvedAddress[];
  if (literal !== null) {
    answers = [{ address: literal, family: isIP(literal) }];
  } else {
    try {
      answers = await raceAbort((policy.resolve ?? lookupAll)(url.hostname), signal);
    } catch (error) {
      if (error instanceof AosError) throw error;
      throw resolveError(url.hostname, error);
    }
  }
  const first = answers[0];
  if (first === undefined) throw new AosError('ENOENT', `cannot resolve ${url.hostname}: no addresses`);
  for (const { address } of answers) {
    const verdict = classifyAddress(address);
    // An unparsable answer is never opened by policy: connecting to it would trigger a fresh lookup.
    if (verdict.range === 'invalid' || (!verdict.allowed && policy.allowPrivate?.(address, port) !== true)) {
      throw new AosError('EACCES', describeBlocked(address, verdict.range));
    }
  }
  return { address: first.address, port };
}
