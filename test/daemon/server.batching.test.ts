/**
 * The socket's system calls (issue 50.3): what one turn of the event loop writes to a client leaves
 * in one write, and a client's requests made in one go leave in one write — through a real
 * KernelServer and the real KernelClient. Counted, not timed.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KernelClient } from '../../client/client.js';
import { param as readonlyParam } from '../../sys/param.js';
import { EXIT } from '../helpers/kernel-harness.js';
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
