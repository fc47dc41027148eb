/**
 * A stand-in kernel on a real unix socket in a fresh AOS_HOME: JSON-lines requests in, the answers
 * a test chooses out. For the client's connection logic (client/, cmd/connect.ts); the real
 * daemon is in helpers/daemon.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { aosPaths, type AosPaths } from '../../sys/host/paths.js';
import { PROTOCOL_VERSION } from '../../protocol/protocol.js';

export interface FakeRequest {
  id: number;
  method: string;
  protocol?: number;
}

/**
 * What to do with a request on the `connection`-th connection (0 first): a response body
 * (`{ok, result}` or `{ok, error}`, the id is added), 'cut' to hang up at once (a kernel dying
 * mid-request), or 'silent' to never answer.
 */
export type Answer = (request: FakeRequest, connection: number) => Record<string, unknown> | 'cut' | 'silent';

export interface FakeKernelSocket {
  home: string;
  paths: AosPaths;
  /** The requests of each connection so far, in order. */
  readonly requests: FakeRequest[][];
  /** Stop listening and hang up on everyone (the kernel is gone); the home stays. */
  stop(): Promise<void>;
  /** stop(), then remove the home. */
  close(): Promise<void>;
}

/** The ping answer of a kernel of `protocol` living in `paths`. */
export function pingAnswer(paths: AosPaths, protocol = PROTOCOL_VERSION): Record<string, unknown> {
  return {
    ok: true,
    result: {
      pid: process.pid,
      version: '0.0.0-test',
      protocol,
      uptime_s: 1,
      home: paths.home,
      socket: paths.socket,
      workspace: paths.workspace,
    },
  };
}

export async function fakeKernelSocket(answer: Answer): Promise<FakeKernelSocket> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'aos-fake-kernel-'));
  const paths = aosPaths({ AOS_HOME: home });
  const conns = new Set<net.Socket>();
  const requests: FakeRequest[][] = [];
  let stopped: Promise<void> | null = null;
  const server = net.createServer((conn) => {
    conns.add(conn);
    const connection = requests.length;
    const seen: FakeRequest[] = [];
    requests.push(seen);
    let buffered = '';
    conn.on('error', () => undefined);
    conn.on('data', (data) => {
      buffered += data.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const request = JSON.parse(line) as FakeRequest;
        seen.push(request);
        const reply = answer(request, connection);
        if (reply === 'cut') return void conn.destroy();
        if (reply !== 'silent') conn.write(`${JSON.stringify({ id: request.id, ...reply })}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(paths.socket, resolve));
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve) => {
      for (const conn of conns) conn.destroy();
      server.close(() => resolve());
    });
    return stopped;
  };
  return {
    home,
    paths,
    requests,
    stop,
    async close() {
      await stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
