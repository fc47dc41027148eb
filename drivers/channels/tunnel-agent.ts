/**
 * An HTTP client's Agent for a channel adapter in a sandbox with no network of its own: every
 * connection it opens is a tunnel through the egress proxy's socket (drivers/net/egress-proxy.ts),
 * with TLS on top for https — so an SDK that takes an agent (grammY's `baseFetchConfig.agent`,
 * node-fetch's, https.request's) reaches its platform's API and nothing else.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { openTunnel } from '../net/egress-tunnel.js';

type Callback = (error: Error | null, socket?: Duplex) => void;

interface Target {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  servername?: string;
}

function dial(socketPath: string, options: Target, secure: boolean, callback: Callback): void {
  const host = (options.hostname ?? options.host ?? '').replace(/^\[(.*)\]$/, '$1');
  const port = Number(options.port ?? (secure ? 443 : 80));
  openTunnel(socketPath, host, port).then(
    (socket) => {
      if (!secure) return callback(null, socket);
      const secured = tls.connect({ socket, servername: options.servername ?? host, ALPNProtocols: ['http/1.1'] });
      secured.once('secureConnect', () => callback(null, secured));
      secured.once('error', (error) => callback(error));
    },
    (error: Error) => callback(error),
  );
}

/** The Agent for `protocol` (`https:` or `http:`, a loopback fake in tests) that dials through `socketPath`. */
export function tunnelAgent(socketPath: string, protocol: 'http:' | 'https:'): http.Agent {
  if (protocol === 'https:') {
    return new (class extends https.Agent {
      override createConnection(options: Target, callback: Callback): undefined {
        dial(socketPath, options, true, callback);
        return undefined;
      }
    })({ keepAlive: true });
  }
  return new (class extends http.Agent {
    override createConnection(options: Target, callback: Callback): undefined {
      dial(socketPath, options, false, callback);
      return undefined;
    }
  })({ keepAlive: true });
}
