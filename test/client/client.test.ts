import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AosError } from '../../sys/errno.js';
import { KernelUnreachableError } from '../../client/errors.js';
import { KernelClient } from '../../client/client.js';
import type { Push } from '../../protocol/protocol.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { type ServerFixture, startServer } from '../helpers/server-fixture.js';

const READ = call('SYS_READ_STDIN', { timeout_s: 30 });

let fx: ServerFixture | null = null;
let client: KernelClient | null = null;
afterEach(async () => {
  client?.close();
  client = null;
  await fx?.close();
  fx = null;
});

async function connect(agents: Parameters<typeof startServer>[0]): Promise<KernelClient> {
  fx = await startServer(agents);
  client = await KernelClient.connect(fx.paths);
  return client;
}

describe('kernel client', () => {
  it('sends typed requests and gets validated results', async () => {
    const c = await connect({ root: [READ, EXIT] });
    const ping = await c.request('ping', {});
    expect(ping).toMatchObject({ pid: process.pid, version: expect.any(String) });
    const row = await c.request('spawn', { task: 't', model: fx?.model ?? '' });
    expect(row).toMatchObject({ pid: 1, name: 'root', state: expect.any(String) });
    expect((await c.request('ps', {})).map((r) => r.pid)).toEqual([1]);
    expect(await c.request('send', { pid: 1, text: 'hi' })).toEqual({ ok: true });
    await fx?.kernel.waitExit(1);
    expect((await c.request('stats', {})).processes.exited).toBe(1);
  });

  it('turns a refusal into an AosError with the errno', async () => {
    const c = await connect({ root: [EXIT] });
    const error = await c.request('kill', { pid: 9 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AosError);
    expect(error).toMatchObject({ code: 'ESRCH', message: 'no such process 9' });
  });

  it('streams logs as an async iterator that ends with the end push', async () => {
    const c = await connect({ root: [READ, call('SYS_EXIT', { code: 3 })] });
    await c.request('spawn', { task: 't', model: fx?.model ?? '' });
    const { result, pushes } = await c.stream('logs', { pid: 1, follow: true });
    expect(result.sub).toBe(1);
    await c.request('send', { pid: 1, text: 'go' });
    const seen: Push[] = [];
    for await (const push of pushes) seen.push(push);
    expect(seen.at(-1)).toMatchObject({ event: 'end', payload: { pid: 1, code: 3, state: 'exited' } });
    expect(seen.filter((p) => p.event === 'log').length).toBeGreaterThan(3);
  });

  it('unsubscribes when the consumer stops early', async () => {
    const c = await connect({ root: [READ] });
    await c.request('spawn', { task: 't', model: fx?.model ?? '' });
    const { pushes } = await c.stream('subscribe', { topics: ['events'] });
    expect(fx?.server.subscriptions).toBe(1);
    await c.request('send', { pid: 1, text: 'x' });
    for await (const push of pushes) if (push.event === 'event') break;
    await c.request('ping', {}); // the unsubscribe went first on the same connection
    expect(fx?.server.subscriptions).toBe(0);
  });

  it('reports a missing kernel and a stale socket as unreachable, with the way out', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-client-'));
    const socket = path.join(dir, 'kernel.sock');
    const paths = { socket, kernelLog: path.join(dir, 'kernel.log') };
    const missing = await KernelClient.connect(paths).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KernelUnreachableError);
    expect((missing as Error).message).toBe(
      `cannot reach the kernel at ${socket}: no kernel is running (no socket). Start it with "aos kernel start" or see ${paths.kernelLog}`,
    );
    const dead = spawn(process.execPath, [
      '-e',
      "require('net').createServer().listen(process.argv[1], () => console.log('up'))",
      socket,
    ]);
    await new Promise((r) => dead.stdout.once('data', r));
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('close', r));
    const stale = await KernelClient.connect(paths).catch((e: unknown) => e);
    expect(stale).toMatchObject({ kind: 'connect', message: expect.stringContaining('stale socket') });
    await rm(dir, { recursive: true, force: true });
  });

  it('fails open streams and requests as unreachable when the kernel goes away', async () => {
    const c = await connect({ root: [READ] });
    await c.request('spawn', { task: 't', model: fx?.model ?? '' });
    const { pushes } = await c.stream('logs', { pid: 1, follow: true });
    await fx?.server.close();
    const drain = async (): Promise<void> => {
      for await (const _push of pushes);
    };
    await expect(drain()).rejects.toMatchObject({ kind: 'lost' });
    await expect(c.request('ping', {})).rejects.toBeInstanceOf(KernelUnreachableError);
  });

  it('refuses a malformed result (EIO, naming the field) and drops a connection that sends a malformed push', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-client-'));
    const paths = { socket: path.join(dir, 'kernel.sock'), kernelLog: path.join(dir, 'kernel.log') };
    // A kernel that answers ping with a bad pid and then pushes garbage.
    const server = net.createServer((conn) => {
      conn.on('data', (line) => {
        const { id } = JSON.parse(line.toString()) as { id: number };
        const bad = {
          pid: -1,
          version: '1',
          protocol: 1,
          uptime_s: 0,
          home: dir,
          socket: paths.socket,
          workspace: dir,
        };
        conn.write(`${JSON.stringify({ id, ok: true, result: bad })}\n`);
        conn.write(`${JSON.stringify({ event: 'log', sub: 1, payload: { ts: 'now' } })}\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(paths.socket, resolve));
    try {
      client = await KernelClient.connect(paths);
      const error = await client.request('ping', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AosError);
      expect(error).toMatchObject({
        code: 'EIO',
        message: 'the kernel sent a malformed ping result: pid: expected a positive integer, received number -1',
      });
      await expect(client.request('ping', {})).rejects.toMatchObject({
        kind: 'lost',
        message: expect.stringContaining('malformed push: payload: expected a kernel event'),
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
