/**
 * A loopback port nothing listens on, for a test that expects a refused connection.
 *
 * Not one bound with listen(0) and released: the next listen(0) anywhere on the machine (another
 * test file's fake server, in another worker) may be handed the same port, and then the "dead"
 * endpoint answers, or a test's own listener counts this test's connections. Ports below the
 * kernel's ephemeral range (net.ipv4.ip_local_port_range) are never handed out by listen(0); one of
 * them that refuses a connection now is refused until something binds it by number.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > 2048 ? value : 32768;
  } catch {
    return 32768;
  }
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** A port in [1024, the ephemeral range) that refused a connection just now. */
export async function refusedPort(): Promise<number> {
  const span = ephemeralLow() - 1024;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 1024 + Math.floor(Math.random() * span);
    if (await refuses(port)) return port;
  }
  throw new Error('no refused port found below the ephemeral range in 50 tries');
}
