/** Local servers for the net driver tests: each records what reached it and can prove its sockets closed. */
import http from 'node:http';
import https from 'node:https';
import net, { type Server, type Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { NetFetchOptions } from '../../../drivers/net/fetch.js';

/** Fetch limits for these tests: every host allowed, small timeouts. */
export const BASE: NetFetchOptions = {
  maxBodyBytes: 64 * 1024,
  connectTimeoutMs: 2000,
  totalTimeoutMs: 5000,
  maxRedirects: 5,
  allowHost: () => true,
};
/** Only 127.0.0.1 is a private address the policy opens. */
export const ONLY_LOOPBACK_V4 = (ip: string): boolean => ip === '127.0.0.1';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  port: number;
  requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  connections: () => number;
  openSockets: () => number;
  /** SNI names seen by a TLS server ('' when the client sent none). */
  serverNames: string[];
  close: () => Promise<void>;
}

// Self-signed, valid for DNS:aos-test.invalid and IP:127.0.0.1; never trusted by the client.
export const TEST_TLS: SecureContextOptions = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7+WZbO8Cy/+xEIfY
a8t8anTvDkj+h4aI0cA+c3Wkug6hRANCAASJVjdoSzuY2u0ckwIpQmogF+pY5Tl+
vIzz4ZrLrI4ynXmCdisEklzptMyMivjrz7vYKBktpEpTkll9MuKj8LYt
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBsDCCAVagAwIBAgIULWuZnEyRg8O8Ix5zSrWnaez5C14wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQYW9zLXRlc3QuaW52YWxpZDAgFw0yNjExMjEwNjQxMDBaGA8y
MTI2MTAyODA2NDEwMFowGzEZMBcGA1UEAwwQYW9zLXRlc3QuaW52YWxpZDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABIlWN2hLO5ja7RyTAilCaiAX6ljlOX68jPPh
msusjjKdeYJ2KwSSXOm0zIyK+OvPu9goGS2kSlOSWX0y4qPwti2jdjB0MB0GA1Ud
DgQWBBSPYEZi0MgSQpRaBnQe2KwzxECdozAfBgNVHSMEGDAWgBSPYEZi0MgSQpRa
BnQe2KwzxECdozAPBgNVHRMBAf8EBTADAQH/MCEGA1UdEQQaMBiCEGFvcy10ZXN0
LmludmFsaWSHBH8AAAEwCgYIKoZIzj0EAwIDSAAwRQIhAMksaqkORNuiAEc1pvzL
QeLbwyWwV4pG0PI05QAzd9uGAiA7c+i+VnO/UNx4Qhl9bdMkN3uMyB/nsoJ5gS05
S30jgQ==
-----END CERTIFICATE-----
`,
};

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  return address.port;
}

async function track(
  server: Server,
  host: string,
  port: number,
  requests: RecordedRequest[],
  serverNames: string[],
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  const bound = await listen(server, host, port);
  return {
    port: bound,
    requests,
    serverNames,
    connections: () => connections,
    openSockets: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTP server on `host` that records every request before `handler` (default: 200 "ok") answers. */
export function startHttpServer(handler?: http.RequestListener, host = '127.0.0.1', port = 0): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (handler) handler(req, res);
    else res.end('ok');
  });
  return track(server, host, port, requests, []);
}

/** A TCP server that accepts connections and never says a word (no HTTP, no TLS handshake). */
export function startSilentServer(host = '127.0.0.1'): Promise<TestServer> {
  // resume() so the client's FIN is read and the server side closes too.
  return track(
    net.createServer((socket) => socket.resume()),
    host,
    0,
    [],
    [],
  );
}

/** An HTTPS server with the untrusted test certificate, recording the SNI each client sent. */
export function startHttpsServer(host = '127.0.0.1'): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const serverNames: string[] = [];
  const server = https.createServer(
    {
      ...TEST_TLS,
      SNICallback: (name, done) => {
        serverNames.push(name);
        done(null);
      },
    },
    (req, res) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      res.end('secret');
    },
  );
  server.on('tlsClientError', () => undefined);
  return track(server, host, 0, requests, serverNames);
}

/** Poll until `check` holds (sockets closing is asynchronous) or fail after `ms`. */
export async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
