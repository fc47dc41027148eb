/** Plain node:http servers on 127.0.0.1 for a test file, each closed (its connections too) after every test. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface LoopbackServers {
  /** Serve `handler` on a free port; resolves with `http://127.0.0.1:<port>`. */
  serve(handler: http.RequestListener): Promise<string>;
  /** The servers started since the last test ended, in order. */
  readonly started: http.Server[];
}

/** Call at a test file's top level: registers the afterEach that closes what `serve` started. */
export function loopbackServers(): LoopbackServers {
  const started: http.Server[] = [];
  afterEach(async () => {
    const servers = started.splice(0);
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  return {
    started,
    async serve(handler) {
      const server = http.createServer(handler);
      started.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
  };
}

/**
 * Write `chunk` to `res` again and again, as fast as the client reads, until it goes or `upTo`
 * bytes went (a server that answers without end); `sent` is told the bytes written once it closed.
 */
export function pourUntilClosed(
  res: http.ServerResponse,
  chunk: Buffer,
  upTo: number,
  sent: (bytes: number) => void,
): void {
  let bytes = 0;
  const pour = (): void => {
    while (!res.destroyed && bytes < upTo && res.write(chunk)) bytes += chunk.length;
    if (!res.destroyed && bytes < upTo) res.once('drain', pour);
  };
  res.on('close', () => sent(bytes));
  pour();
}
