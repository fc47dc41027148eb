/**
 * The sandbox's side of the egress proxy (egress-proxy.ts): a TCP stream to `host:port` through
 * the unix socket it was given — CONNECT, then the socket carries the connection (TLS on top for
 * https, by whoever asked). An adapter's HTTP client dials every connection this way: an https
 * Agent's `createConnection`, an undici dispatcher's `connect`.
 */
import net from 'node:net';
import { AosError } from '../../sys/errno.js';

export function openTunnel(socketPath: string, host: string, port: number, timeoutMs = 10_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let head = Buffer.alloc(0);
    const timer = setTimeout(
      () => fail(new AosError('ETIMEDOUT', `no answer from the egress proxy for ${host}:${port} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    }
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      clearTimeout(timer);
      const [status = ''] = head.subarray(0, end).toString('latin1').split('\r\n');
      if (!/^HTTP\/1\.[01] 200 /.test(status)) {
        const body = head.subarray(end + 4).toString('utf8');
        const code = / 403 /.test(status) ? 'EACCES' : / 429 /.test(status) ? 'EAGAIN' : 'EIO';
        fail(new AosError(code, `egress to ${host}:${port} refused: ${body || status}`));
        return;
      }
      const rest = head.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', (error) =>
      fail(new AosError('EIO', `the egress proxy at ${socketPath} is not reachable: ${error.message}`)),
    );
    socket.once('connect', () =>
      socket.write(
        `CONNECT ${net.isIPv6(host) ? `[${host}]` : host}:${port} HTTP/1.1\r\nhost: ${host}:${port}\r\n\r\n`,
      ),
    );
  });
}
