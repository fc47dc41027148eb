/**
 * withKernel's retry of a read whose connection broke under it (the kernel killed or crashed
 * mid-request): asked once more on a new connection, and only when the verb says it only reads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withKernel } from '../../cmd/connect.js';
import { KernelUnreachableError } from '../../kernel/client/errors.js';
import { aosPaths } from '../../kernel/paths.js';
import { PROTOCOL_VERSION } from '../../kernel/wire/protocol.js';

interface FakeKernel {
  /** Connections accepted so far. */
  connections: number;
  /** Requests each connection sent, by method, in order. */
  methods: string[][];
  /** Stop listening (the kernel is gone: the next connect finds nobody). */
  stop(): Promise<void>;
}

/**
 * A kernel on `home`'s socket that cuts the first `drops` connections once their ps request is in
 * (as a kernel dying mid-request does), and answers the rest; with
 * `stopAfterDrop` it also stops listening at its first cut.
 */
async function fakeKernel(home: string, drops: number, stopAfterDrop = false): Promise<FakeKernel> {
  const paths = aosPaths({ AOS_HOME: home });
  const conns = new Set<net.Socket>();
  const fake: FakeKernel = {
    connections: 0,
    methods: [],
    stop: () => new Promise<void>((resolve) => {
      for (const conn of conns) conn.destroy();
      server.close(() => resolve());
    }),
  };
  const server = net.createServer((conn) => {
    conns.add(conn);
    const index = fake.connections++;
    const seen: string[] = [];
    fake.methods.push(seen);
    let buffered = '';
    conn.on('error', () => undefined);
    conn.on('data', (data) => {
      buffered += data.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const request = JSON.parse(line) as { id: number; method: string };
        seen.push(request.method);
        if (index < drops) {
          if (request.method !== 'ps') continue;
          conn.destroy();
          if (stopAfterDrop) void fake.stop();
          return;
        }
        const result =
          request.method === 'ping'
            ? { pid: process.pid, version: '0.0.0-test', protocol: PROTOCOL_VERSION, uptime_s: 1, home, socket: paths.socket, workspace: paths.workspace }
            : [];
        conn.write(`${JSON.stringify({ id: request.id, ok: true, result })}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(paths.socket, resolve));
  return fake;
}

const listPs = (client: Parameters<Parameters<typeof withKernel>[0]>[0]): Promise<unknown> => client.request('ps', {});

let home = '';
let fake: FakeKernel | null = null;
const savedHome = process.env.AOS_HOME;

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'aos-retry-'));
  process.env.AOS_HOME = home;
});

afterEach(async () => {
  await fake?.stop();
  fake = null;
  if (savedHome === undefined) delete process.env.AOS_HOME;
  else process.env.AOS_HOME = savedHome;
  await rm(home, { recursive: true, force: true });
});

describe('withKernel when the connection breaks mid-request', () => {
  it('asks a read once more on a new connection, and returns its answer', async () => {
    fake = await fakeKernel(home, 1);
    await expect(withKernel(listPs, { autostart: false, retryIfLost: true })).resolves.toEqual([]);
    expect(fake.connections).toBe(2);
    expect(fake.methods).toEqual([
      ['ping', 'ps'],
      ['ping', 'ps'],
    ]);
  });

  it('never asks again for a verb that did not say it only reads', async () => {
    fake = await fakeKernel(home, 1);
    const error = await withKernel(listPs, { autostart: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelUnreachableError);
    expect((error as KernelUnreachableError).kind).toBe('lost');
    expect(fake.connections).toBe(1);
  });

  it('asks only once more: a second break is reported as lost', async () => {
    fake = await fakeKernel(home, 5);
    const error = await withKernel(listPs, { autostart: false, retryIfLost: true }).catch((e: unknown) => e);
    expect((error as KernelUnreachableError).kind).toBe('lost');
    expect(fake.connections).toBe(2);
  });

  it('reports a kernel that is gone after the break as not reachable, not as a lost connection', async () => {
    fake = await fakeKernel(home, 1, true);
    const error = await withKernel(listPs, { autostart: false, retryIfLost: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelUnreachableError);
    expect((error as KernelUnreachableError).kind).toBe('connect');
    expect(fake.connections).toBe(1);
  });
});
