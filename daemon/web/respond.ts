/** Answers of the web view, every one with the same security headers (strict CSP, no framing, no CORS). */
import type http from 'node:http';
import { AosError } from '../../sys/errno.js';

/** Scripts, styles, images and connections from the page's own origin only; nothing inline, no frames, no plugins. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function send(
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

/** JSON made here, or made elsewhere and passed as text. */
export function sendJson(res: http.ServerResponse, status: number, value: unknown, raw = false): void {
  send(res, status, 'application/json; charset=utf-8', raw ? (value as string) : JSON.stringify(value));
}

export function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

const STATUS_OF: Readonly<Record<string, number>> = {
  EINVAL: 400,
  EPERM: 403,
  EACCES: 403,
  ENOENT: 404,
  ESRCH: 404,
  ENOSYS: 404,
  EBUSY: 409,
  EEXIST: 409,
};

/** A failed call: an errno keeps its code and gets its HTTP status; anything else is a 500. */
export function sendFailure(res: http.ServerResponse, error: unknown): void {
  if (error instanceof AosError) return sendError(res, STATUS_OF[error.code] ?? 500, error.code, error.message);
  const coded = error as { code?: unknown; message?: unknown } | null;
  if (coded && typeof coded.code === 'string' && typeof coded.message === 'string')
    return sendError(res, STATUS_OF[coded.code] ?? 500, coded.code, coded.message);
  sendError(res, 500, 'EIO', error instanceof Error ? error.message : String(error));
}
