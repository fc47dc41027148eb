/**
 * IMAP and SMTP from a sandbox with no network of its own (the email adapter): a listener on the
 * sandbox's own loopback whose every connection is carried to one `host:port` through the egress
 * proxy's socket (egress-tunnel.ts's CONNECT) — so the mail clients (imapflow, nodemailer), which
 * dial TCP themselves, reach the configured servers and nothing else. TLS runs end to end on top,
 * checked against the real host's name (`tlsFor`), never against the loopback address dialled.
 */
import net from 'node:net';
import tls from 'node:tls';
import { openTunnel } from '../net/egress-tunnel.js';

export interface LocalTunnel {
  /** The loopback port to dial. */
  port: number;
  /** Why the last tunnel failed (the proxy's refusal, say), for the error a client reports. */
  lastError(): string | null;
  close(): Promise<void>;
}

/** A loopback port that leads to `host:port` through the proxy at `socketPath`. */
export function localTunnel(socketPath: string, host: string, port: number): Promise<LocalTunnel> {
  let last: string | null = null;
  const server = net.createServer((local) => {
    local.on('error', () => undefined);
    local.pause();
    openTunnel(socketPath, host, port).then(
      (remote) => {
        remote.on('error', () => local.destroy());
        local.on('error', () => remote.destroy());
        local.on('close', () => remote.destroy());
        remote.on('close', () => local.destroy());
        local.pipe(remote);
        remote.pipe(local);
        local.resume();
      },
      (error: Error) => {
        last = error.message;
        local.destroy();
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        lastError: () => last,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

/** TLS options for a connection dialled at loopback but meant for `host`: SNI and the certificate's name are `host`'s. */
export function tlsFor(host: string): tls.ConnectionOptions {
  return {
    ...(net.isIP(host) ? {} : { servername: host }),
    checkServerIdentity: (_dialled, cert) => tls.checkServerIdentity(host, cert),
  };
}
