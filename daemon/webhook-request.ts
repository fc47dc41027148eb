/**
 * Decoding an HTTP request to the webhook gateway: the `/hooks/<token>/<path>` route, the query,
 * the headers an agent may see, and a body read under a hard cap (nothing buffered past it).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { CREDENTIAL_NAME } from '../sys/credential-names.js';

export interface HookRoute {
  token: string;
  path: string;
  query: Record<string, string | string[]>;
}

const PREFIX = '/hooks/';

/** The raw request target, split without URL resolution (no dot-segment or host tricks). */
export function parseHookRoute(target: string | undefined): HookRoute | null {
  if (!target?.startsWith(PREFIX)) return null;
  const q = target.indexOf('?');
  const pathname = q === -1 ? target : target.slice(0, q);
  const rest = pathname.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  return {
    token: rest.slice(0, slash),
    path: rest.slice(slash + 1),
    query: parseQuery(q === -1 ? '' : target.slice(q + 1)),
  };
}

function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
}

const PLAIN_HEADERS = new Set(['content-type', 'content-length', 'user-agent', 'accept']);
/** Credentials of the caller never reach a prompt or a log. */
const SECRET_HEADER = CREDENTIAL_NAME;

/** content-type, user-agent, accept, content-length and x-* headers that do not look like credentials. */
export function safeHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (!PLAIN_HEADERS.has(name) && !(name.startsWith('x-') && !SECRET_HEADER.test(name))) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export type BodyOutcome = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' | 'busy' };

/**
 * Read the whole body, or stop at `maxBytes` + 1: the rest is never buffered. `reserve(n)` is asked
 * before a chunk is kept (the gateway's upload budget); refused, the read stops as 'busy'.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  reserve: (n: number) => boolean = () => true,
): Promise<BodyOutcome> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.resolve({ ok: false, reason: 'too_large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: BodyOutcome): void => {
      if (settled) return;
      settled = true;
      if (!outcome.ok) req.removeAllListeners('data');
      resolve(outcome);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) settle({ ok: false, reason: 'too_large' });
      else if (!reserve(chunk.length)) settle({ ok: false, reason: 'busy' });
      else chunks.push(chunk);
    });
    req.on('end', () => settle({ ok: true, body: Buffer.concat(chunks) }));
    req.on('error', () => settle({ ok: false, reason: 'aborted' }));
    req.on('close', () => settle({ ok: false, reason: 'aborted' }));
  });
}
