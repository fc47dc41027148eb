/**
 * The socket's system calls (issue 50.3): what one turn of the event loop writes to a client leaves
 * in one write, and a client's requests made in one go leave in one write — through a real
 * KernelServer and the real KernelClient. Counted, not timed.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KernelClient } from '../../client/client.js';
import { param as readonlyParam } from '../../sys/param.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { rawClient, type ServerFixture, startServer } from '../helpers/server-fixture.js';

// The request slice is a time: a busy machine cuts it short. These tests count writes, so they lift it.
const param = readonlyParam as { requestSliceMs: number };
let fx: ServerFixture | null = null;
const sliceMs = param.requestSliceMs;
afterEach(async () => {
  param.requestSliceMs = sliceMs;
  vi.restoreAllMocks();
  await fx?.close();
  fx = null;
});

/** Writes that reach the socket of any net.Socket but `except` (the daemon's side of each connection). */
function countServerWrites(except: net.Socket): { count: number } {
  const seen = { count: 0 };
  const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const original = proto[name];
    vi.spyOn(proto, name).mockImplementation(function (this: net.Socket, ...args: unknown[]) {
      if (this !== except) seen.count++;
      return original.apply(this, args);
    });
  }
  return seen;
}

describe('kernel server: writes to a client', () => {
  it('answers requests handled in one turn of the loop in one write, in order', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    const writes = countServerWrites(c.socket);
    // Fewer than param.requestsPerTick, and no slice cut short by a busy machine: one turn of the loop.
    param.requestSliceMs = 60_000;
    const count = 20;
    c.socket.write(
      Array.from({ length: count }, (_, id) => `${JSON.stringify({ id, method: 'ping', params: {} })}\n`).join(''),
    );
    const answers = await c.until((line) => line.id === count - 1);
    expect(answers.map((a) => a.id)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(answers.every((a) => a.ok === true)).toBe(true);
    // One write per turn of the loop (a chunk may arrive split in two): not one per answer.
    expect(writes.count).toBeGreaterThanOrEqual(1);
    expect(writes.count).toBeLessThanOrEqual(2);
    c.socket.destroy();
  });

  it('sends an answer made at once before the callbacks already queued for the end of the loop’s turn', async () => {
    // Under a burst those callbacks are turn slices and commits: a 5 ms `ps` waited 45-57 ms (p99) behind them.
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    const order: string[] = [];
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    for (const name of ['_write', '_writev'] as const) {
      const original = proto[name];
      vi.spyOn(proto, name).mockImplementation(function (this: net.Socket, ...args: unknown[]) {
        if (this !== c.socket) order.push('answer written');
        return original.apply(this, args);
      });
    }
    const kernel = fx.kernel;
    const list = kernel.liveProcessesJson;
    vi.spyOn(kernel, 'liveProcessesJson').mockImplementation(() => {
      // Queued while the request is handled, as the kernel's own work is, before the answer exists.
      setImmediate(() => order.push('queued callback ran'));
      return list();
    });
    c.socket.write(`${JSON.stringify({ id: 1, method: 'ps', params: {} })}\n`);
    const [answer] = await c.until((line) => line.id === 1);
    expect(answer?.ok).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['answer written', 'queued callback ran']);
    c.socket.destroy();
  });

  it('sends what a commit pushes to a follower while the commit is under way', async () => {
    // A commit runs at the end of a turn of the loop, often: its pushes waited for the end of the next one.
    fx = await startServer({ waiter: [call('RECV_MSG', { timeout_s: 60 }), EXIT] });
    const kernel = fx.kernel;
    const pcb = await kernel.spawn({ task: 't', name: 'waiter', model: fx.model });
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'logs', params: { pid: pcb.pid, tail: 0, follow: true } });
    await c.until((line) => line.id === 1);
    let written = 0;
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    for (const name of ['_write', '_writev'] as const) {
      const original = proto[name];
      vi.spyOn(proto, name).mockImplementation(function (this: net.Socket, ...args: unknown[]) {
        if (this !== c.socket) written++;
        return original.apply(this, args);
      });
    }
    // Listeners run in the order they came: this one after the daemon's, in the same commit.
    const atCommit: number[] = [];
    const stop = kernel.store.onCommitted((events) => {
      if (events.some((stored) => stored.event.pid === pcb.pid)) atCommit.push(written);
    });
    kernel.send(pcb.pid, 'hello');
    await c.until((line) => line.event === 'log');
    stop();
    expect(atCommit[0]).toBeGreaterThan(0);
    c.socket.destroy();
  });

  it('answers a burst of spawns, each once its process is committed, in a few writes', async () => {
    fx = await startServer({ worker: [EXIT] });
    const c = await rawClient(fx.socket);
    const writes = countServerWrites(c.socket);
    param.requestSliceMs = 60_000;
    const count = 60;
    c.socket.write(
      Array.from(
        { length: count },
        (_, id) =>
          `${JSON.stringify({ id, method: 'spawn', params: { task: 't', name: 'worker', model: fx?.model } })}\n`,
      ).join(''),
    );
    const answers = await c.until((line) => line.id === count - 1);
    expect(answers.map((a) => a.ok)).toEqual(Array.from({ length: count }, () => true));
    expect(new Set(answers.map((a) => (a.result as { pid: number }).pid)).size).toBe(count);
    // Two slices of requests (param.requestsPerTick) and their commits: a handful of writes, never one per spawn.
    expect(writes.count).toBeLessThan(count / 4);
    c.socket.destroy();
  });
});

describe('kernel client: writes to the kernel', () => {
  it('sends the requests made in one go in one write, each answered', async () => {
    fx = await startServer({ root: [EXIT] });
    const client = await KernelClient.connect(fx.paths);
    const socket = (client as unknown as { socket: { write(text: string): unknown } }).socket;
    const write = socket.write.bind(socket);
    let writes = 0;
    socket.write = (text: string) => (writes++, write(text));
    const answers = await Promise.all(Array.from({ length: 50 }, () => client.request('ps', {})));
    expect(answers).toHaveLength(50);
    expect(writes).toBe(1);
    await client.request('ping', {});
    expect(writes).toBe(2);
    client.close();
  });

  it('sends what was asked before it hangs up', async () => {
    fx = await startServer({ root: [EXIT] });
    const client = await KernelClient.connect(fx.paths);
    const asked = client.request('shutdown', {}).catch(() => undefined);
    client.close();
    await asked;
    const deadline = Date.now() + 5000;
    while (fx.shutdowns === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fx.shutdowns).toBe(1);
  });
});
