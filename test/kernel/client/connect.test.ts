/** openKernel: the verb's request goes out behind the ping; a kernel of another protocol is reported as such. */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openKernel } from '../../../kernel/client/connect.js';
import { KernelUnreachableError } from '../../../kernel/client/errors.js';
import { aosPaths, type AosPaths } from '../../../kernel/paths.js';
import { PROTOCOL_VERSION } from '../../../kernel/wire/protocol.js';

interface Seen {
  method: string;
  protocol?: number;
}

/** A kernel that speaks `protocol`: answers ping, refuses requests of another protocol (EPROTO), answers ps with []. */
async function fakeKernel(protocol: number): Promise<{ paths: AosPaths; seen: Seen[]; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-connect-'));
  const paths = aosPaths({ AOS_HOME: dir });
  const seen: Seen[] = [];
  const conns = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    conns.add(conn);
    let buffered = '';
    conn.on('data', (data) => {
      buffered += data.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const request = JSON.parse(line) as { id: number; method: string; protocol?: number };
        seen.push({ method: request.method, protocol: request.protocol });
        const reply =
          request.method === 'ping'
            ? { id: request.id, ok: true, result: { pid: process.pid, version: '9.9.9', protocol, uptime_s: 1, home: dir, socket: paths.socket, workspace: dir } }
            : request.protocol !== undefined && request.protocol !== protocol
              ? { id: request.id, ok: false, error: { code: 'EPROTO', message: 'other protocol' } }
              : { id: request.id, ok: true, result: [] };
        conn.write(`${JSON.stringify(reply)}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(paths.socket, resolve));
  return {
    paths,
    seen,
    async close() {
      for (const conn of conns) conn.destroy();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
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
    expect(error).toMatchObject({ kind: 'mismatch', message: expect.stringContaining(`speaks protocol ${PROTOCOL_VERSION + 1}, this aos speaks ${PROTOCOL_VERSION}`) });
    // The kernel's EPROTO is no errno of ours: the client reports it as EIO with the kernel's words.
    await expect(rows).rejects.toMatchObject({ message: 'other protocol' });
    client.close();
  });

  it('reports a kernel that accepts but does not answer the ping as hung, after 5 s', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-connect-'));
    const paths = aosPaths({ AOS_HOME: dir });
    const conns = new Set<net.Socket>();
    const silent = net.createServer((conn) => void conns.add(conn));
    await new Promise<void>((resolve) => silent.listen(paths.socket, resolve));
    close = async () => {
      for (const conn of conns) conn.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await rm(dir, { recursive: true, force: true });
    };
    const started = Date.now();
    const { client, kernel: pinged } = await openKernel(paths, { autostart: false, launch: noLaunch });
    expect(await pinged.catch((e: unknown) => e)).toMatchObject({ kind: 'hung', message: expect.stringContaining('did not answer within 5000 ms') });
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
