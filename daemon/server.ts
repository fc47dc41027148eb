/**
 * The kernel's IPC server: a unix socket (mode 0600) speaking the JSON-lines protocol of
 * protocol.ts to any number of clients at once.
 */
import { once } from 'node:events';
import { chmod, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { AosError } from '../sys/errno.js';
import type { DaemonLogger } from './log.js';
import type { KernelApi } from '../kernel/api.js';
import { Connection } from './connection.js';
import type { ServerInfo } from './methods/methods.js';
import { StreamHub } from './streams.js';
import { closeWebView } from './web/index.js';

export interface ServerOptions {
  socket: string;
  home: string;
  workspace: string;
  log?: DaemonLogger;
  /** A client asked the daemon to stop (the `shutdown` method). */
  onShutdown?: () => void;
}

/** Does anything answer on this socket path? */
function answers(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(socket);
    const done = (alive: boolean): void => {
      probe.destroy();
      resolve(alive);
    };
    probe.setTimeout(timeoutMs, () => done(true));
    probe.once('connect', () => done(true));
    probe.on('error', () => done(false));
  });
}

/** Remove a socket file left by a kernel that died; refuse when a live kernel still answers on it. */
export async function clearStaleSocket(socket: string): Promise<void> {
  const stat = await lstat(socket).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!stat) return;
  if (!stat.isSocket())
    throw new AosError('EEXIST', `${socket} exists and is not a socket; move it away and start the kernel again`);
  if (await answers(socket)) throw new AosError('EEXIST', `another kernel is already listening on ${socket}`);
  await unlink(socket).catch(() => undefined);
}

async function listenPrivately(server: net.Server, socket: string): Promise<void> {
  // Bind under a umask so the socket is never reachable by others, then make sure of it.
  const umask = process.umask(0o177);
  try {
    server.listen(socket);
  } finally {
    process.umask(umask);
  }
  await once(server, 'listening');
  await chmod(socket, 0o600);
}

export class KernelServer {
  readonly hub: StreamHub;
  private readonly conns = new Set<Connection>();

  private constructor(
    private readonly server: net.Server,
    private readonly kernel: KernelApi,
    options: ServerOptions,
  ) {
    this.hub = new StreamHub(kernel);
    const info: ServerInfo = {
      socket: options.socket,
      home: options.home,
      workspace: options.workspace,
      startedAt: Date.now(),
    };
    const log = options.log ?? (() => undefined);
    const requestShutdown = options.onShutdown ?? (() => undefined);
    server.on('connection', (socket) => {
      const conn = new Connection(socket, {
        kernel,
        hub: this.hub,
        info,
        log,
        requestShutdown,
        onClose: (c) => this.conns.delete(c),
      });
      this.conns.add(conn);
    });
  }

  static async listen(kernel: KernelApi, options: ServerOptions): Promise<KernelServer> {
    await clearStaleSocket(options.socket);
    const server = net.createServer({ allowHalfOpen: true });
    const kernelServer = new KernelServer(server, kernel, options);
    await listenPrivately(server, options.socket);
    return kernelServer;
  }

  get connections(): number {
    return this.conns.size;
  }

  get subscriptions(): number {
    return this.hub.size;
  }

  /** Stop accepting, hang up on every client, and remove the socket file. */
  async close(): Promise<void> {
    this.hub.close();
    await closeWebView(this.kernel);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.conns) conn.end();
    await closed;
  }
}
