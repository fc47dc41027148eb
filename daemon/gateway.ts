/**
 * The webhook gateway: an HTTP server on 127.0.0.1 that turns a request to
 * `/hooks/<token>/<path>` into an event for the owning process and answers with its
 * SYS_WEBHOOK_REPLY. Nothing a client sends can throw into the kernel. Requests are read in
 * webhook-request.ts, answers written in webhook-reply.ts.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AosError } from '../sys/errno.js';
import { param } from '../sys/param.js';
import { type HookRoute, parseHookRoute, readBody, safeHeaders } from './webhook-request.js';
import { refuseBusy, send } from './webhook-reply.js';
import { type UploadLimits, UploadBudget } from './upload-budget.js';
import { jsonError, type Webhook, type WebhookReply, type WebhookRequest, type WebhookRoutes } from '../kernel/api.js';

export const GATEWAY_HOST = '127.0.0.1';

/**
 * AOS_WEBHOOK_URL: the base of the webhook URLs processes are told, when callers reach the gateway
 * through a proxy or load balancer (every node of a cluster behind one address). An http(s) URL
 * with no query, fragment or credentials; its trailing slash dropped. Undefined when unset.
 */
export function publicWebhookUrl(raw: string | undefined): string | undefined {
  const given = raw?.trim();
  if (!given) return undefined;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new Error(`AOS_WEBHOOK_URL must be an http:// or https:// URL (got "${given}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`AOS_WEBHOOK_URL must be an http:// or https:// URL (got "${given}")`);
  if (url.search || url.hash || url.username || url.password)
    throw new Error(
      `AOS_WEBHOOK_URL must have no query, fragment or credentials (got "${given}"): processes are told <it>/hooks/<token>/<path>`,
    );
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Connections still open this long after close() are cut. */
const CLOSE_GRACE_MS = 500;

/**
 * Routes this kernel does not have, found elsewhere (a cluster's other nodes: daemon/cluster-
 * webhooks.ts): the way to deliver a request there, an answer to give at once, or null (no such
 * webhook anywhere: 404).
 */
export interface WebhooksElsewhere {
  find(
    token: string,
    path: string,
  ): Promise<{ deliver(request: WebhookRequest): Promise<WebhookReply> } | { reply: WebhookReply } | null>;
}

/** Another service on the gateway (the MCP endpoint): handle() is true when it took the request. */
export interface GatewayRoute {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** 0 picks a free port. */
  port: number;
  maxBodyBytes: number;
  route?: GatewayRoute;
  /** Where a route this kernel does not have may be (another node of its cluster). */
  elsewhere?: WebhooksElsewhere;
  /** Requests still arriving (param.webhookMaxUploads…); the defaults when absent. */
  uploads?: UploadLimits;
  /** param.webhookHeadersTimeoutMs / webhookRequestTimeoutMs when absent. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const DEFAULT_UPLOADS: UploadLimits = {
  perProcess: param.webhookMaxUploadsPerProcess,
  total: param.webhookMaxUploads,
  bytesPerProcess: param.webhookMaxUploadBytesPerProcess,
  bytes: param.webhookMaxUploadBytes,
};

export class Gateway {
  private closing = false;
  /** What requests still arriving hold (upload-budget.ts). */
  readonly uploads: UploadBudget;

  private constructor(
    private readonly server: http.Server,
    private readonly webhooks: WebhookRoutes,
    private readonly options: GatewayOptions,
  ) {
    this.uploads = new UploadBudget(options.uploads ?? DEFAULT_UPLOADS);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      req.on('error', () => {});
      this.handle(req, res).catch(() => send(res, jsonError(500, 'internal error in the webhook gateway'), true));
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      // A request that took too long (headers or body) is told so; anything else malformed is just cut.
      if ((error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT') && socket.writable) {
        socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () =>
          socket.destroy(),
        );
        return;
      }
      socket.destroy();
    });
  }

  static listen(webhooks: WebhookRoutes, options: GatewayOptions): Promise<Gateway> {
    // A sender that trickles its headers or body is answered 408 and cut; checked every 250 ms, not Node's 30 s.
    const server = http.createServer({
      headersTimeout: options.headersTimeoutMs ?? param.webhookHeadersTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? param.webhookRequestTimeoutMs,
      connectionsCheckingInterval: 250,
    });
    const gateway = new Gateway(server, webhooks, options);
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new AosError('EIO', `cannot start the webhook gateway on ${GATEWAY_HOST}:${options.port}: ${error.message}`, {
            cause: error,
          }),
        );
      };
      server.once('error', onError);
      server.listen(options.port, GATEWAY_HOST, () => {
        server.off('error', onError);
        server.on('error', () => {});
        resolve(gateway);
      });
    });
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  get url(): string {
    return `http://${GATEWAY_HOST}:${this.address().port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.closing && this.options.route?.handle(req, res)) return;
    const route = parseHookRoute(req.url);
    const hook = route ? this.webhooks.find(route.token, route.path) : undefined;
    if (route && !hook && this.options.elsewhere && !this.closing)
      return this.handleElsewhere(this.options.elsewhere, route, req, res);
    if (!route || !hook) return send(res, jsonError(404, 'no such webhook'));
    if (this.closing) return send(res, jsonError(503, 'the kernel is stopping'), true);
    if (hook.start) return this.handleUnit(hook.start, route, req, res);
    const before = this.webhooks.owner(hook);
    if (!before) return send(res, jsonError(410, 'the process that owned this webhook has ended'));
    if (this.webhooks.pendingOf(before.pid) >= param.maxPendingWebhookRequests) {
      return send(res, jsonError(429, 'too many requests are waiting for this process'));
    }
    const body = await this.readCapped(req, res, before.pid);
    if (body === null) return;
    // The world may have moved while the body arrived.
    const owner = this.webhooks.owner(hook);
    if (this.closing) return send(res, jsonError(503, 'the kernel is stopping'), true);
    if (!owner) return send(res, jsonError(410, 'the process that owned this webhook has ended'));
    if (req.socket.destroyed) return;
    const request = {
      method: req.method ?? 'GET',
      query: route.query,
      headers: safeHeaders(req.headers),
      body: body.toString('utf8'),
    };
    const id = this.webhooks.deliver(hook, owner, request, (reply) => send(res, reply));
    res.on('close', () => {
      if (!res.writableEnded) this.webhooks.cancel(id);
    });
  }

  /**
   * A route another node has (a process of its own, or a tree it adopted from this one's dead
   * node): the body read under this gateway's caps, the request carried there and its answer
   * brought back. Nothing found anywhere is a 404, as here.
   */
  private async handleElsewhere(
    elsewhere: WebhooksElsewhere,
    route: HookRoute,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const away = await elsewhere
      .find(route.token, route.path)
      .catch(() => ({ reply: jsonError(503, 'the cluster cannot be asked where this webhook is now; try again') }));
    if (!away) return send(res, jsonError(404, 'no such webhook'));
    if ('reply' in away) return send(res, away.reply);
    const body = await this.readCapped(req, res, 0);
    if (body === null) return;
    if (this.closing) return send(res, jsonError(503, 'the kernel is stopping'), true);
    if (req.socket.destroyed) return;
    const request = {
      method: req.method ?? 'GET',
      query: route.query,
      headers: safeHeaders(req.headers),
      body: body.toString('utf8'),
    };
    send(res, await away.deliver(request).catch(() => jsonError(502, 'the node that has this webhook did not answer')));
  }

  /** The body under the gateway's caps (its size, the upload budget charged to `pid`); null when refused (answered here). */
  private async readCapped(req: IncomingMessage, res: ServerResponse, pid: number): Promise<Buffer | null> {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = (): null => (
      send(res, jsonError(413, `the request body is over ${this.options.maxBodyBytes} bytes`), true),
      null
    );
    if (declared > this.options.maxBodyBytes) return tooLarge();
    const slot = this.uploads.open(pid, Number.isFinite(declared) ? declared : 0);
    if ('status' in slot) return (refuseBusy(res, slot.status, slot.message), null);
    let body: Awaited<ReturnType<typeof readBody>>;
    try {
      body = await readBody(req, this.options.maxBodyBytes, (n) => slot.grow(n));
    } finally {
      slot.close();
    }
    if (body.ok) return body.body;
    if (body.reason === 'too_large') return tooLarge();
    if (body.reason === 'busy')
      refuseBusy(res, 503, 'the gateway holds too many bytes of requests still arriving; try again');
    return null;
  }

  /**
   * A unit's route: the body is read (under the gateway's caps, as for a process's route), the unit starts a
   * run for it (its overlap policy may say no: answered at once), and the run answers; the answer
   * names it (`x-aos-pid`).
   */
  private async handleUnit(
    start: NonNullable<Webhook['start']>,
    route: NonNullable<ReturnType<typeof parseHookRoute>>,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const body = await this.readCapped(req, res, 0);
    if (body === null) return;
    if (this.closing) return send(res, jsonError(503, 'the kernel is stopping'), true);
    if (req.socket.destroyed) return;
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const request = {
      method: req.method ?? 'GET',
      query: route.query,
      headers: safeHeaders(req.headers),
      body: body.toString('utf8'),
      header,
    };
    const started = await start(request, (reply, pid) => send(res, reply, false, { 'x-aos-pid': String(pid) }));
    if ('reply' in started) return send(res, started.reply);
    res.on('close', () => {
      if (!res.writableEnded) this.webhooks.cancel(started.request_id);
    });
  }

  /** Stop listening; waiting requests must have been answered (Webhooks.closeAll) first. */
  close(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.closing = true;
    void this.options.route?.close();
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.closeAllConnections(), CLOSE_GRACE_MS);
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }
}
