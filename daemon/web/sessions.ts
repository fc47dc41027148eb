/**
 * Login links and sessions of the web view. A login token is good once and for a few minutes; it
 * becomes a session (an HttpOnly, SameSite=Strict cookie) with its own CSRF token. All in memory:
 * a new daemon asks for a new `aos web`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { param } from '../../sys/param.js';

export interface WebSession {
  id: string;
  csrf: string;
  lastSeen: number;
}

export const SESSION_COOKIE = 'aos_session';

function secret(): string {
  return randomBytes(32).toString('base64url');
}

/** Equal strings, compared in constant time (a token is never matched character by character). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class WebSessions {
  private readonly logins = new Map<string, number>();
  private readonly sessions = new Map<string, WebSession>();

  /** A one-time login token and when it expires. */
  mintLogin(now = Date.now()): { token: string; expiresAt: number } {
    this.sweep(now);
    const token = secret();
    const expiresAt = now + param.webLoginTtlMs;
    this.logins.set(token, expiresAt);
    return { token, expiresAt };
  }

  /** Trade a login token for a new session; null when it is unknown, used or expired. */
  redeem(token: string | null, now = Date.now()): WebSession | null {
    if (!token) return null;
    const expiresAt = this.logins.get(token);
    this.logins.delete(token);
    if (expiresAt === undefined || expiresAt < now) return null;
    if (this.sessions.size >= param.webMaxSessions) this.dropOldest();
    const session = { id: secret(), csrf: secret(), lastSeen: now };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session named by a Cookie header, if any (and it is seen now). */
  find(cookieHeader: string | undefined, now = Date.now()): WebSession | null {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return null;
    if (now - session.lastSeen > param.webSessionIdleMs) {
      this.sessions.delete(session.id);
      return null;
    }
    session.lastSeen = now;
    return session;
  }

  get size(): number {
    return this.sessions.size;
  }

  private dropOldest(): void {
    let oldest: WebSession | null = null;
    for (const s of this.sessions.values()) if (!oldest || s.lastSeen < oldest.lastSeen) oldest = s;
    if (oldest) this.sessions.delete(oldest.id);
  }

  private sweep(now: number): void {
    for (const [token, expiresAt] of this.logins) if (expiresAt < now) this.logins.delete(token);
  }
}
