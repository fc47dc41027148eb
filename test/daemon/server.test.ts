import { stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REQUEST_LINE_BYTES, PROTOCOL_VERSION } from '../../protocol/protocol.js';
import { clearStaleSocket, KernelServer } from '../../daemon/server.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { rawClient, type ServerFixture, startServer } from '../helpers/server-fixture.js';

const BLOCK = call('RECV_MSG', { timeout_s: 30 });
const READ = call('SYS_READ_STDIN', { timeout_s: 30 });

let fx: ServerFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

async function until<T>(check: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('kernel server: requests', () => {
  it('answers ping on a socket only its owner can use (0600)', async () => {
    fx = await startServer({ root: [EXIT] });
    expect((await stat(fx.socket)).mode & 0o777).toBe(0o600);
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'ping' });
    expect(await c.next()).toMatchObject({
      id: 1,
      ok: true,
      result: { pid: process.pid, protocol: PROTOCOL_VERSION, socket: fx.socket },
    });
    c.socket.destroy();
  });

  it('refuses bad requests with EINVAL / ENOSYS and keeps the connection', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    c.send('{not json');
    expect(await c.next()).toMatchObject({
      id: null,
      ok: false,
      error: { code: 'EINVAL', message: 'request is not valid JSON' },
    });
    c.send({ id: 2, method: 'kill', params: { pid: 'one' } });
    const bad = await c.next();
    expect(bad).toMatchObject({ id: 2, ok: false, error: { code: 'EINVAL' } });
    expect((bad.error as { message: string }).message).toMatch(/^kill: pid: .*expected number/);
    c.send({ id: 3, method: 'ps', params: { all: true, extra: 1 } });
    expect(await c.next()).toMatchObject({ id: 3, ok: false, error: { code: 'EINVAL' } });
    c.send({ id: 4, method: 'teleport' });
    expect(await c.next()).toMatchObject({ id: 4, ok: false, error: { code: 'ENOSYS' } });
    c.send({ method: 'ping' });
    expect(await c.next()).toMatchObject({ id: null, ok: false, error: { code: 'EINVAL' } });
    c.send({ id: 'five', method: 'ping', params: {} });
    expect(await c.next()).toMatchObject({ id: 'five', ok: true });
    c.socket.destroy();
  });

  it('refuses, unread, a request of another protocol (EPROTO), so a client may send one before the ping answers', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    // Refused before its params are read: this kill, read, would be ESRCH.
    c.send({ id: 1, method: 'kill', params: { pid: 4242 }, protocol: PROTOCOL_VERSION + 1 });
    const refused = await c.next();
    expect(refused).toMatchObject({ id: 1, ok: false, error: { code: 'EPROTO' } });
    expect((refused.error as { message: string }).message).toContain(`this kernel speaks protocol ${PROTOCOL_VERSION}`);
    c.send({ id: 2, method: 'ps', params: { all: true }, protocol: PROTOCOL_VERSION });
    expect(await c.next()).toMatchObject({ id: 2, ok: true });
    c.send({ id: 3, method: 'ping', params: {} });
    expect(await c.next()).toMatchObject({ id: 3, ok: true, result: { protocol: PROTOCOL_VERSION } });
    c.send({ id: 4, method: 'kill', params: { pid: 4242 }, protocol: PROTOCOL_VERSION });
    expect(await c.next()).toMatchObject({ id: 4, ok: false, error: { code: 'ESRCH' } });
    c.socket.destroy();
  });

  it('maps kernel refusals to their errno (ESRCH for an unknown pid)', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'kill', params: { pid: 42 } });
    expect(await c.next()).toMatchObject({ id: 1, ok: false, error: { code: 'ESRCH', message: 'no such process 42' } });
    c.send({ id: 2, method: 'spawn', params: { task: 't', model: 'replay:/nope.yaml' } });
    expect(await c.next()).toMatchObject({ id: 2, ok: false, error: { code: 'ENOENT' } });
    c.socket.destroy();
  });

  it('closes a connection whose request line passes 1 MiB, with an error first', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    c.socket.write(`{"id":1,"method":"send","params":{"pid":1,"text":"${'x'.repeat(MAX_REQUEST_LINE_BYTES)}`);
    expect(await c.next()).toMatchObject({ id: null, ok: false, error: { code: 'EFBIG' } });
    await c.closed;
    await until(() => (fx?.server.connections === 0 ? true : undefined));
  });

  it('answers a client that half-closes after its request (nc style)', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'spawn', params: { task: 't', model: fx.model } });
    c.socket.end();
    expect(await c.next()).toMatchObject({ id: 1, ok: true, result: { pid: 1, name: 'root' } });
    await c.closed;
  });

  it('serves many clients at once; concurrent spawns get distinct pids', async () => {
    fx = await startServer({ root: [BLOCK] });
    const clients = await Promise.all(Array.from({ length: 20 }, () => rawClient((fx as ServerFixture).socket)));
    clients.forEach((c, i) =>
      c.send({ id: i, method: 'spawn', params: { task: `t${i}`, model: (fx as ServerFixture).model } }),
    );
    const answers = await Promise.all(clients.map((c) => c.next()));
    const pids = answers.map((a) => (a.result as { pid: number }).pid);
    expect(new Set(pids).size).toBe(20);
    expect(fx.server.connections).toBe(20);
    for (const c of clients) c.socket.destroy();
    await until(() => (fx?.server.connections === 0 ? true : undefined));
  });

  it('calls onShutdown after answering shutdown', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'shutdown' });
    expect(await c.next()).toMatchObject({ id: 1, ok: true, result: { pid: process.pid } });
    expect(fx.shutdowns).toBe(1);
    c.socket.destroy();
  });
});

describe('kernel server: streams', () => {
  it('logs with follow: history, then live events of the tree, then end', async () => {
    fx = await startServer({
      root: [
        READ,
        call('SPAWN_AGENT', { role: 'w', name: 'worker' }),
        call('WAIT', { pid: 2, timeout_s: 10 }),
        call('SYS_EXIT', { code: 4 }),
      ],
      worker: [call('SYS_EXIT', { code: 0 })],
    });
    const pcb = await fx.kernel.spawn({ task: 't', model: fx.model });
    await until(() => (fx?.kernel.pcb(pcb.pid)?.state === 'blocked' ? true : undefined));
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'logs', params: { pid: 1, follow: true, tree: true } });
    const first = await c.next();
    expect(first).toMatchObject({ id: 1, ok: true, result: { sub: 1, procs: [{ pid: 1, name: 'root' }] } });
    const history = (first.result as { events: Array<{ type: string }> }).events;
    expect(history[0]).toMatchObject({ type: 'state', from: null, to: 'ready' });
    fx.kernel.send(1, 'go');
    const pushes = await c.until((l) => l.event === 'end');
    const logs = pushes.filter((p) => p.event === 'log').map((p) => p.payload as { pid: number; type: string });
    expect(logs.some((e) => e.pid === 2)).toBe(true);
    expect(pushes.every((p) => p.sub === 1)).toBe(true);
    expect(pushes.at(-1)).toEqual({
      event: 'end',
      sub: 1,
      payload: { pid: 1, code: 4, reason: expect.any(String), state: 'exited' },
    });
    expect(fx.server.subscriptions).toBe(0);
    c.send({ id: 2, method: 'logs', params: { pid: 1, follow: true, tail: 1 } });
    const again = await c.next();
    expect((again.result as { events: unknown[] }).events).toHaveLength(1);
    expect(await c.next()).toMatchObject({ event: 'end', sub: 2, payload: { pid: 1, code: 4, state: 'exited' } });
    c.socket.destroy();
  });

  it('drops the streams of a client that disconnects mid-stream (no leaked listeners)', async () => {
    fx = await startServer({ root: [BLOCK] });
    await fx.kernel.spawn({ task: 't', model: fx.model });
    const clients = await Promise.all([1, 2, 3].map(() => rawClient((fx as ServerFixture).socket)));
    for (const c of clients) {
      c.send({ id: 1, method: 'logs', params: { pid: 1, follow: true } });
      c.send({ id: 2, method: 'subscribe', params: { topics: ['events', 'stats'] } });
      await c.next();
      await c.next();
    }
    expect(fx.server.subscriptions).toBe(6);
    clients[0]?.send({ id: 3, method: 'unsubscribe', params: { sub: 2 } });
    expect(await clients[0]?.next()).toMatchObject({ id: 3, ok: true, result: { ok: true } });
    expect(fx.server.subscriptions).toBe(5);
    for (const c of clients) c.socket.destroy();
    await until(() => (fx?.server.subscriptions === 0 && fx.server.connections === 0 ? true : undefined));
    // The kernel keeps running and emitting with nobody listening.
    fx.kernel.kill(1);
    await fx.kernel.waitExit(1);
  });

  it('subscribe pushes every event and throttles stats to at most 4 per second', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'subscribe', params: { topics: ['events', 'stats'] } });
    expect(await c.next()).toMatchObject({ id: 1, ok: true, result: { sub: 1, stats: { pid: process.pid } } });
    const started = Date.now();
    const pids: number[] = [];
    for (let i = 0; i < 30; i++) pids.push((await fx.kernel.spawn({ task: 't', model: fx.model })).pid);
    await Promise.all(pids.map((pid) => fx?.kernel.waitExit(pid)));
    await new Promise((r) => setTimeout(r, 600));
    const lines: Array<Record<string, unknown>> = [];
    for (;;) {
      const line = await c.next(300).catch(() => null);
      if (!line) break;
      lines.push(line);
    }
    const elapsed = (Date.now() - started) / 1000;
    const stats = lines.filter((l) => l.event === 'stats');
    const events = lines.filter((l) => l.event === 'event');
    expect(new Set(events.map((e) => (e.payload as { pid: number }).pid)).size).toBe(30);
    expect(stats.length).toBeGreaterThanOrEqual(1);
    expect(stats.length).toBeLessThanOrEqual(Math.ceil(elapsed * 4) + 1);
    expect(stats.at(-1)).toMatchObject({ payload: { processes: { exited: 30 } } });
    c.socket.destroy();
  });
});

describe('kernel server: the socket file', () => {
  it('removes a stale socket left by a dead kernel, and refuses a live one', async () => {
    fx = await startServer({ root: [EXIT] });
    const stale = path.join(fx.dir, 'stale.sock');
    // A listener killed with SIGKILL leaves its socket file behind.
    const dead = spawn(process.execPath, [
      '-e',
      "require('net').createServer().listen(process.argv[1], () => console.log('up'))",
      stale,
    ]);
    await new Promise((r) => dead.stdout.once('data', r));
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('close', r));
    expect((await stat(stale)).isSocket()).toBe(true);
    await clearStaleSocket(stale);
    await expect(stat(stale)).rejects.toThrow(/ENOENT/);
    await expect(
      KernelServer.listen(fx.kernel, { socket: fx.socket, home: fx.dir, workspace: fx.dir }),
    ).rejects.toThrow(/already listening/);
    const notSocket = path.join(fx.dir, 'plain');
    await writeFile(notSocket, 'x');
    await expect(clearStaleSocket(notSocket)).rejects.toThrow(/not a socket/);
  });
});
