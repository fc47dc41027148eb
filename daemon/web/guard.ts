/**
 * Who may talk to the web view: a loopback Host naming our port (a rebound DNS name is refused),
 * a session cookie on every request, and on every POST the session's CSRF token and an Origin
 * equal to the page's own.
 */
import type http from 'node:http';
import { sameSecret, type WebSession } from './sessions.js';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** The Host header names this listener on a loopback name, exactly. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return LOOPBACK_NAMES.some((name) => host.toLowerCase() === `${name}:${port}`);
}

export const CSRF_HEADER = 'x-aos-csrf';

/** Why a mutation is refused, or null when it may go on. */
export function mutationRefusal(req: http.IncomingMessage, session: WebSession): string | null {
  const origin = req.headers.origin;
  if (!origin || origin !== `http://${req.headers.host ?? ''}`)
    return `Origin ${origin ?? '(none)'} is not this page's`;
  const token = req.headers[CSRF_HEADER];
  if (typeof token !== 'string' || !sameSecret(token, session.csrf)) return 'missing or wrong CSRF token';
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) return 'a POST body must be application/json';
  return null;
}
