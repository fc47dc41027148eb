/**
 * Where a Chroma server answers, as one string: `http(s)://host:port` for a server reached over
 * TCP (CHROMA_URL), or `http+unix://<percent-encoded socket path>` for the kernel's own server,
 * reached only through a unix socket (the `http+unix` convention of requests-unixsocket and
 * docker clients). One string keeps "is this still the server I called?" an equality test.
 */
import http from 'node:http';

/** The path Chroma 1.x (API v2) answers liveness on. */
export const HEARTBEAT_PATH = '/api/v2/heartbeat';

const UNIX_PROTOCOL = 'http+unix:';

export interface ChromaTarget {
  host: string;
  port: number;
  ssl: boolean;
  /** Set for a server behind a unix socket: every request goes there, whatever host and port say. */
  socketPath: string | null;
}

export function unixSocketAddress(socketPath: string): string {
  return `${UNIX_PROTOCOL}//${encodeURIComponent(socketPath)}`;
}

export function chromaTarget(address: string): ChromaTarget {
  const url = new URL(address);
  if (url.protocol === UNIX_PROTOCOL) {
    // Host and port only fill the Host header; the socket decides where the request goes.
    return { host: 'localhost', port: 80, ssl: false, socketPath: decodeURIComponent(url.host) };
  }
  const ssl = url.protocol === 'https:';
  return { host: url.hostname, port: url.port ? Number(url.port) : ssl ? 443 : 80, ssl, socketPath: null };
}

/** For logs and errors: "unix socket /path" or the URL itself. */
export function displayAddress(address: string): string {
  const { socketPath } = chromaTarget(address);
  return socketPath ? `unix socket ${socketPath}` : address;
}

/**
 * Heartbeat once; true when the server answered 200. Plain node:http without keep-alive, so a
 * probe that times out (something else holds the address and never answers) leaves no socket behind.
 * The status says it: the body is not read (one that never ended kept the probe waiting for good).
 */
export function heartbeat(address: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      const { socketPath } = chromaTarget(address);
      const options = { agent: false, timeout: timeoutMs } as const;
      const onResponse = (res: http.IncomingMessage): void => {
        resolve(res.statusCode === 200);
        res.on('error', () => undefined);
        res.destroy();
      };
      req = socketPath
        ? http.get({ ...options, socketPath, path: HEARTBEAT_PATH }, onResponse)
        : http.get(`${address}${HEARTBEAT_PATH}`, options, onResponse);
    } catch {
      resolve(false);
      return;
    }
    req.once('timeout', () => req.destroy(new Error('heartbeat timed out')));
    req.on('error', () => resolve(false));
  });
}
