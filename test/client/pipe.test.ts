/**
 * The client's socket on node's pipe handle (client/pipe.ts): what node:net gave the
 * client (connect errors with their codes, writes, chunks, hang-ups both ways), without loading
 * node:net; and node:net where the handle would warn or is missing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KernelClient } from '../../client/client.js';
import { pipeAvailable, PipeSocket, wrapsFrom } from '../../client/pipe.js';

let dir = '';
let server: net.Server | null = null;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-pipe-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
  await rm(dir, { recursive: true, force: true });
});

/** A unix socket server that hands each connection to `onConnection`. */
async function listen(onConnection: (socket: net.Socket) => void): Promise<string> {
  const socket = path.join(dir, 's.sock');
  server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server?.listen(socket, resolve));
  return socket;
}

const closed = (socket: PipeSocket): Promise<void> => new Promise((resolve) => socket.on('close', resolve));

describe('the pipe socket', () => {
  it('is available on this node', () => {
    expect(pipeAvailable()).toBe(true);
  });

  it('writes lines and reads what comes back, chunk by chunk, then closes when the other end hangs up', async () => {
    const big = 'x'.repeat(300_000);
    const socket = await listen((peer) => {
      let got = '';
      peer.on('data', (chunk) => {
        got += chunk.toString();
        if (got.endsWith('\n') && got.length > big.length) peer.end(`${got.length}\n${big}\n`);
      });
    });
    const pipe = await PipeSocket.connect(socket);
    const chunks: Buffer[] = [];
    pipe.on('data', (chunk) => chunks.push(chunk));
    const done = closed(pipe);
    pipe.write('a');
    pipe.write(`${big}\n`);
    await done;
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).toString()).toBe(`${big.length + 2}\n${big}\n`);
    expect(pipe.write('after')).toBe(false);
  });

  it('hangs up when destroyed: the other end sees the end, and close follows', async () => {
    let ended: () => void = () => undefined;
    const peerEnded = new Promise<void>((resolve) => (ended = resolve));
    const socket = await listen((peer) =>
      peer
        .on('end', ended)
        .on('error', () => undefined)
        .resume(),
    );
    const pipe = await PipeSocket.connect(socket);
    const done = closed(pipe);
    pipe.destroy();
    await Promise.all([done, peerEnded]);
  });

  it('fails to connect with node:net codes: no socket file, and a socket nobody listens on', async () => {
    const missing = await PipeSocket.connect(path.join(dir, 'none.sock')).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'ENOENT', syscall: 'connect' });
    const stale = path.join(dir, 'stale.sock');
    await writeFile(stale, '');
    expect(await PipeSocket.connect(stale).catch((e: unknown) => e)).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('is what the kernel client connects with: node:net is not used', async () => {
    const createConnection = vi.spyOn(net, 'createConnection');
    const socket = await listen((peer) =>
      peer.on('data', () => peer.write('{"id":1,"ok":true,"result":{"ok":true}}\n')),
    );
    const client = await KernelClient.connect({ socket, kernelLog: path.join(dir, 'kernel.log') });
    expect(await client.request('send', { pid: 1, text: 'x' })).toEqual({ ok: true });
    client.close();
    expect(createConnection).not.toHaveBeenCalled();
  });

  it('is not used where process.binding would warn (--pending-deprecation wraps it) or is refused or changed', () => {
    const real = (process as unknown as { binding: unknown }).binding;
    expect(wrapsFrom(real)).not.toBeNull();
    expect(
      wrapsFrom(function deprecated(name: string) {
        return (real as (n: string) => unknown)(name);
      }),
    ).toBeNull();
    expect(
      wrapsFrom(function binding() {
        throw new Error('Access to this API has been restricted');
      }),
    ).toBeNull();
    expect(
      wrapsFrom(function binding() {
        return {};
      }),
    ).toBeNull();
    expect(wrapsFrom(undefined)).toBeNull();
  });
});
