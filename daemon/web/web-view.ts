/**
 * The web view's HTTP listener: 127.0.0.1 only, on its own port (never the webhook gateway's,
 * which people tunnel out). Every request passes the guard (guard.ts) before anything else.
 */
import { once } from 'node:events';
import http from 'node:http';
import { AosError } from '../../sys/errno.js';
import type { KernelApi } from '../../kernel/api.js';
import { param } from '../../sys/param.js';
import { type ApiAnswer, GETS, POSTS, type WebCall } from './api.js';
import { EventStreams } from './event-stream.js';
import { modelLookup, type ModelOf } from './event-view.js';
import { hostAllowed, mutationRefusal } from './guard.js';
import { send, sendError, sendFailure, sendJson } from './respond.js';
import { SESSION_COOKIE, type WebSession, WebSessions } from './sessions.js';
import { loadStatic, type StaticFile } from './static-files.js';

const NO_SESSION = 'no session: run `aos web` for a login link';

function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > param.webMaxBodyBytes)
        reject(new AosError('EFBIG', `request body over ${param.webMaxBodyBytes} bytes`));
      else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
        resolve(value as Record<string, unknown>);
      } catch {
        reject(new AosError('EINVAL', 'the request body must be a JSON object'));
      }
    });
  });
}

export class WebView {
  readonly sessions = new WebSessions();
  readonly streams: EventStreams;
  private readonly modelOf: ModelOf;
  private files: Map<string, StaticFile> | null = null;

  private constructor(
    private readonly server: http.Server,
    private readonly kernel: KernelApi,
    private readonly call: WebCall,
    readonly port: number,
  ) {
    this.modelOf = modelLookup(kernel);
    this.streams = new EventStreams(kernel, this.modelOf);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendFailure(res, error);
        else res.destroy();
      });
    });
  }

  static async listen(kernel: KernelApi, call: WebCall, port: number): Promise<WebView> {
    const server = http.createServer({ requestTimeout: 30_000 });
    server.listen(port, '127.0.0.1');
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    return new WebView(server, kernel, call, bound);
  }

  /** A one-time login link. */
  login(): { url: string; expiresAt: number } {
    const { token, expiresAt } = this.sessions.mintLogin();
    return { url: `http://127.0.0.1:${this.port}/login?token=${token}`, expiresAt };
  }

  async close(): Promise<void> {
    this.streams.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, this.port))
      return sendError(res, 403, 'EACCES', 'this Host is not the web view’s (loopback only)');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    if (url.pathname === '/login' && req.method === 'GET') return this.redeem(url, res);
    const session = this.sessions.find(req.headers.cookie);
    if (!session)
      return url.pathname.startsWith('/api/')
        ? sendError(res, 401, 'EACCES', NO_SESSION)
        : send(res, 401, 'text/plain; charset=utf-8', `${NO_SESSION}\n`);
    if (req.method === 'POST') return this.post(req, res, url, session);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendError(res, 405, 'EINVAL', `${req.method ?? ''} is not allowed`);
    if (url.pathname === '/api/stream') return this.openStream(req, res, url);
    const get = Object.hasOwn(GETS, url.pathname) ? GETS[url.pathname] : undefined;
    if (get) return this.answer(res, await get(this.deps(session), url.searchParams));
    const file = (this.files ??= loadStatic()).get(url.pathname);
    if (!file) return sendError(res, 404, 'ENOENT', `no ${url.pathname} here`);
    send(res, 200, file.type, file.body);
  }

  /** The login link's token becomes a session cookie; the link is dead from now on. */
  private redeem(url: URL, res: http.ServerResponse): void {
    const session = this.sessions.redeem(url.searchParams.get('token'));
    if (!session)
      return send(
        res,
        401,
        'text/plain; charset=utf-8',
        'This login link was used already or has expired: run `aos web` for a new one.\n',
      );
    const cookie = `${SESSION_COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/`;
    send(res, 303, 'text/plain; charset=utf-8', 'logged in\n', { Location: '/', 'Set-Cookie': cookie });
  }

  private async post(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    session: WebSession,
  ): Promise<void> {
    const refusal = mutationRefusal(req, session);
    if (refusal) return sendError(res, 403, 'EACCES', refusal);
    const action = Object.hasOwn(POSTS, url.pathname) ? POSTS[url.pathname] : undefined;
    if (!action) return sendError(res, 404, 'ENOENT', `no action ${url.pathname}`);
    this.answer(res, await action(this.deps(session), await readBody(req)));
  }

  private openStream(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const header = req.headers['last-event-id'];
    const text = typeof header === 'string' && header !== '' ? header : url.searchParams.get('after');
    const after = text === null || text === '' ? null : Number(text);
    if (after !== null && (!Number.isSafeInteger(after) || after < 0))
      return sendError(res, 400, 'EINVAL', `bad event id "${text}"`);
    this.streams.open(res, after);
  }

  private answer(res: http.ServerResponse, answer: ApiAnswer): void {
    if ('raw' in answer) sendJson(res, 200, answer.raw, true);
    else sendJson(res, 200, answer.json);
  }

  private deps(session: WebSession): Parameters<(typeof GETS)[string]>[0] {
    return { kernel: this.kernel, call: this.call, modelOf: this.modelOf, csrf: session.csrf, port: this.port };
  }
}
