/** A real kernel and socket server with its web view opened through the `web` method, and raw HTTP to it. */
import http from 'node:http';
import { rawClient, type ServerFixture, startServer } from './server-fixture.js';
import type { TapeEntry } from './kernel-harness.js';

export interface WebFixture {
  fx: ServerFixture;
  port: number;
  /** A fresh one-time login URL. */
  loginUrl(): Promise<string>;
  /** Log in: the session cookie (`aos_session=…`) and the page's CSRF token. */
  login(): Promise<{ cookie: string; csrf: string }>;
  close(): Promise<void>;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would add or forbid some: Host, Origin). */
export function raw(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { Host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function startWeb(
  agents: Record<string, TapeEntry[]>,
  options: Parameters<typeof startServer>[1] = {},
): Promise<WebFixture> {
  const fx = await startServer(agents, options);
  const client = await rawClient(fx.socket);
  let id = 0;
  const loginUrl = async (): Promise<string> => {
    client.send({ id: ++id, method: 'web', params: {} });
    const answer = await client.next();
    if (answer.ok !== true) throw new Error(`web failed: ${JSON.stringify(answer)}`);
    return (answer.result as { url: string }).url;
  };
  const port = Number(new URL(await loginUrl()).port);
  return {
    fx,
    port,
    loginUrl,
    async login() {
      const url = new URL(await loginUrl());
      const answer = await raw(port, url.pathname + url.search);
      const cookie = String(answer.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;
      const session = await raw(port, '/api/session', { headers: { Cookie: cookie } });
      return { cookie, csrf: (JSON.parse(session.body) as { csrf: string }).csrf };
    },
    async close() {
      client.socket.destroy();
      await fx.close();
    },
  };
}
