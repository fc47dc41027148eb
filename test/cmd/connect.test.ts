/**
 * withKernel's retry of a read whose connection broke under it (the kernel killed or crashed
 * mid-request): asked once more on a new connection, and only when the verb says it only reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelClient } from '../../client/client.js';
import { withKernel } from '../../cmd/connect.js';
import { KernelUnreachableError } from '../../client/errors.js';
import { type FakeKernelSocket, fakeKernelSocket, pingAnswer } from '../helpers/fake-kernel-socket.js';

interface FakeKernel {
  /** Connections accepted so far. */
  connections: number;
  /** Requests each connection sent, by method, in order. */
  methods: string[][];
}

let socket: FakeKernelSocket | null = null;
const savedHome = process.env.AOS_HOME;

/**
 * A kernel that cuts the first `drops` connections once their ps request is in (as a kernel dying
 * mid-request does), and answers the rest; with `stopAfterDrop` it also stops listening at its
 * first cut. Verbs run in this process find it through AOS_HOME.
 */
async function fakeKernel(drops: number, stopAfterDrop = false): Promise<FakeKernel> {
  const fake = await fakeKernelSocket((request, connection) => {
    if (connection >= drops) return request.method === 'ping' ? pingAnswer(fake.paths) : { ok: true, result: [] };
    if (request.method !== 'ps') return 'silent';
    if (stopAfterDrop) void fake.stop();
    return 'cut';
  });
  socket = fake;
  process.env.AOS_HOME = fake.home;
  return {
    get connections() {
      return fake.requests.length;
    },
    get methods() {
      return fake.requests.map((requests) => requests.map((r) => r.method));
    },
  };
}

const listPs = (client: KernelClient): Promise<unknown> => client.request('ps', {});

let fake: FakeKernel | null = null;

afterEach(async () => {
  await socket?.close();
  socket = null;
  fake = null;
  if (savedHome === undefined) delete process.env.AOS_HOME;
  else process.env.AOS_HOME = savedHome;
});

describe('withKernel when the connection breaks mid-request', () => {
  it('asks a read once more on a new connection, and returns its answer', async () => {
    fake = await fakeKernel(1);
    await expect(withKernel(listPs, { autostart: false, retryIfLost: true })).resolves.toEqual([]);
    expect(fake.connections).toBe(2);
    expect(fake.methods).toEqual([
      ['ping', 'ps'],
      ['ping', 'ps'],
    ]);
  });

  it('never asks again for a verb that did not say it only reads', async () => {
    fake = await fakeKernel(1);
    const error = await withKernel(listPs, { autostart: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelUnreachableError);
    expect((error as KernelUnreachableError).kind).toBe('lost');
    expect(fake.connections).toBe(1);
  });

  it('asks only once more: a second break is reported as lost', async () => {
    fake = await fakeKernel(5);
    const error = await withKernel(listPs, { autostart: false, retryIfLost: true }).catch((e: unknown) => e);
    expect((error as KernelUnreachableError).kind).toBe('lost');
    expect(fake.connections).toBe(2);
  });

  it('reports a kernel that is gone after the break as not reachable, not as a lost connection', async () => {
    fake = await fakeKernel(1, true);
    const error = await withKernel(listPs, { autostart: false, retryIfLost: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelUnreachableError);
    expect((error as KernelUnreachableError).kind).toBe('connect');
    expect(fake.connections).toBe(1);
  });
});
