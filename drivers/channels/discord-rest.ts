/**
 * The Discord adapter's way out (issue 53): an undici dispatcher whose every connection is a tunnel
 * through the egress proxy's socket (TLS on top for https and wss), used by both the REST calls and
 * the Gateway's WebSocket — and the REST calls it makes: `GET /gateway/bot`, `GET /users/@me`,
 * `POST /channels/{id}/messages`. Every call carries `Authorization: Bot <token>`; answers are read
 * up to a bound; a 429 is waited out when Discord asks for a short wait, and otherwise said to be
 * retryable (Discord surely sent nothing). undici's request follows no redirect: what Discord answers is
 * taken as it is.
 */
import tls from 'node:tls';
import { Agent, type Dispatcher, request } from 'undici';
import { openTunnel } from '../net/egress-tunnel.js';
import { ChannelError } from './protocol.js';

/** An answer larger than this is refused: Discord's are a few KiB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** A dispatcher that dials every connection through the egress proxy at `socketPath`. */
export function tunnelDispatcher(socketPath: string): Dispatcher {
  return new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
      const secure = options.protocol === 'https:' || options.protocol === 'wss:';
      const port = Number(options.port || (secure ? 443 : 80));
      openTunnel(socketPath, host, port).then(
        (socket) => {
          if (!secure) return callback(null, socket);
          const secured = tls.connect({ socket, servername: options.servername || host, ALPNProtocols: ['http/1.1'] });
          secured.once('secureConnect', () => callback(null, secured));
          secured.once('error', (error) => callback(error, null));
        },
        (error: Error) => callback(error, null),
      );
    },
  });
}

export interface DiscordRestOptions {
  /** The API root with its version: https://discord.com/api/v10 (a fake's in tests). */
  apiRoot: string;
  token: string;
  dispatcher: Dispatcher;
  /** A call's whole time (ms). */
  timeoutMs: number;
  /** A 429 asking for at most this long a wait is waited out (ms); a longer one is a retryable error. */
  retryWaitMaxMs: number;
}

/** An error of a call that surely reached nothing of Discord's (the connection was refused, a 429). */
export class NotSent extends ChannelError {
  constructor(message: string) {
    super(-32000, message, true);
  }
}

export class DiscordRest {
  constructor(private readonly o: DiscordRestOptions) {}

  /** One call: its JSON answer, or a ChannelError saying whether Discord surely did nothing. */
  async call<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const answer = await this.once(method, route, body);
      if (answer.status === 429) {
        const wait = retryAfterMs(answer.json);
        if (attempt < 3 && wait <= this.o.retryWaitMaxMs) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        throw new NotSent(`Discord rate-limits ${route}: retry after ${Math.ceil(wait / 1000)} s`);
      }
      if (answer.status < 200 || answer.status > 299) {
        const said = (answer.json as { message?: unknown } | null)?.message;
        const why = typeof said === 'string' ? said.slice(0, 200) : `HTTP ${answer.status}`;
        // Discord refused it whole (a bad request, no access): nothing was sent.
        if (answer.status >= 400 && answer.status < 500) throw new ChannelError(answer.status, why, false);
        throw new ChannelError(answer.status, `Discord answered ${method} ${route} with ${why}`, false);
      }
      return answer.json as T;
    }
  }

  private async once(method: string, route: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const url = `${this.o.apiRoot.replace(/\/+$/, '')}${route}`;
    let written = false;
    try {
      const response = await request(url, {
        method,
        dispatcher: this.o.dispatcher,
        headers: {
          authorization: `Bot ${this.o.token}`,
          'user-agent': 'DiscordBot (https://github.com/aos, 1)',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
      });
      written = true;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_ANSWER_BYTES) {
          response.body.destroy();
          throw new Error(`Discord's answer to ${route} is larger than ${MAX_ANSWER_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = text ? (JSON.parse(text) as unknown) : null;
      } catch {
        json = null;
      }
      return { status: response.statusCode, json };
    } catch (error) {
      if (error instanceof ChannelError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      // A connection that never opened (the proxy refused, nothing listening) carried nothing.
      const code = (error as { code?: string }).code ?? '';
      if (!written && /ECONNREFUSED|EACCES|UND_ERR_CONNECT|ENOTFOUND|refused|not reachable/.test(`${code} ${message}`))
        throw new NotSent(`${method} ${route}: ${message}`);
      throw new ChannelError(-32000, `${method} ${route}: ${message}`, false);
    }
  }
}

/** Discord's `retry_after` (seconds, a float) as milliseconds; a second when it says nothing usable. */
function retryAfterMs(json: unknown): number {
  const said = (json as { retry_after?: unknown } | null)?.retry_after;
  return typeof said === 'number' && Number.isFinite(said) && said >= 0 ? Math.ceil(said * 1000) : 1000;
}
