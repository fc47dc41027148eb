/** openKernel: the verb's request goes out behind the ping; a kernel of another protocol is reported as such. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openKernel } from '../../client/connect.js';
import { KernelUnreachableError } from '../../client/errors.js';
import { aosPaths, type AosPaths } from '../../sys/host/paths.js';
import { PROTOCOL_VERSION } from '../../protocol/protocol.js';
import { fakeKernelSocket, pingAnswer } from '../helpers/fake-kernel-socket.js';

interface Seen {
  method: string;
  protocol?: number;
}

/** A kernel that speaks `protocol`: answers ping, refuses requests of another protocol (EPROTO), answers ps with []. */
async function fakeKernel(protocol: number): Promise<{ paths: AosPaths; seen: Seen[]; close(): Promise<void> }> {
  const fake = await fakeKernelSocket((request) =>
    request.method === 'ping'
      ? pingAnswer(fake.paths, protocol)
      : request.protocol !== undefined && request.protocol !== protocol
        ? { ok: false, error: { code: 'EPROTO', message: 'other protocol' } }
        : { ok: true, result: [] },
  );
  return {
    paths: fake.paths,
    get seen(): Seen[] {
      return fake.requests.flat().map(({ method, protocol: p }) => ({ method, protocol: p }));
    },
    close: fake.close,
  };
}

const noLaunch = (): Promise<never> => Promise.reject(new Error('no launch in this test'));

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

describe('openKernel', () => {
  it("writes the verb's request right behind the ping, naming our protocol", async () => {
    const kernel = await fakeKernel(PROTOCOL_VERSION);
    close = kernel.close;
    const { client, kernel: pinged } = await openKernel(kernel.paths, { autostart: false, launch: noLaunch });
    const rows = client.request('ps', {});
    expect((await pinged).protocol).toBe(PROTOCOL_VERSION);
    expect(await rows).toEqual([]);
    client.close();
    expect(kernel.seen).toEqual([{ method: 'ping' }, { method: 'ps', protocol: PROTOCOL_VERSION }]);
  });

  it('reports a kernel of another protocol as a mismatch, and that kernel refuses the request sent meanwhile', async () => {
    const kernel = await fakeKernel(PROTOCOL_VERSION + 1);
    close = kernel.close;
    const { client, kernel: pinged } = await openKernel(kernel.paths, { autostart: false, launch: noLaunch });
    const rows = client.request('ps', {});
    const error = await pinged.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelUnreachableError);
    expect(error).toMatchObject({
      kind: 'mismatch',
      message: expect.stringContaining(`speaks protocol ${PROTOCOL_VERSION + 1}, this aos speaks ${PROTOCOL_VERSION}`),
    });
    // The kernel's EPROTO is no errno of ours: the client reports it as EIO with the kernel's words.
    await expect(rows).rejects.toMatchObject({ message: 'other protocol' });
    client.close();
  });

  it('reports a kernel that accepts but does not answer the ping as hung, after 5 s', async () => {
    const silent = await fakeKernelSocket(() => 'silent');
    close = silent.close;
    const { paths } = silent;
    const started = Date.now();
    const { client, kernel: pinged } = await openKernel(paths, { autostart: false, launch: noLaunch });
    expect(await pinged.catch((e: unknown) => e)).toMatchObject({
      kind: 'hung',
      message: expect.stringContaining('did not answer within 5000 ms'),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    client.close();
  }, 15_000);

  it('fails with the connect error when nobody listens and auto-start is off', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-connect-'));
    close = () => rm(dir, { recursive: true, force: true });
    const paths = aosPaths({ AOS_HOME: dir });
    await expect(openKernel(paths, { autostart: false, launch: noLaunch })).rejects.toMatchObject({ kind: 'connect' });
  });
});
