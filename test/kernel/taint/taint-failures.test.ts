/**
 * A failure taints only when it quotes a server (red team s18, kernel/safety/taint-failures.ts): a
 * NET_FETCH that never reached a server fails in the kernel's words alone — shown bare, its process
 * clean — while one that fails once a server answered (its redirect leads to a host the process may
 * not fetch from, a name the server chose) is framed and taints it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OUTSIDE_MARK } from '../../../sys/outside-data.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { taintPolicy } from './taint-harness.js';

let h: Harness | null = null;
let server: Server | null = null;
afterEach(async () => {
  await h?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  h = null;
  server = null;
});

/** A loopback port nothing listens on: one a server held a moment ago. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function fetchOnce(url: string): Promise<{ result: unknown; tainted: boolean }> {
  h = await startHarness(
    { root: [call('NET_FETCH', { url }), EXIT] },
    {
      safety: taintPolicy({ net: 'allow' }),
      netAllowPrivate: ['127.0.0.1:*'],
      rootCapabilities: ['net.fetch:127.0.0.1'],
    },
  );
  const end = await h.run({ name: 'root' });
  return { result: h.results(end.pid)[0], tainted: (await h.kernel.safety.ledger.viewOf(end.pid)).tainted };
}

describe('a failed NET_FETCH', () => {
  it('that reached no server is shown in the kernel words, and its process stays clean', async () => {
    const { result, tainted } = await fetchOnce(`http://127.0.0.1:${await closedPort()}/page`);
    expect(result).toMatchObject({ name: 'NET_FETCH', ok: false, errno: 'EIO' });
    expect(JSON.stringify(result)).not.toContain(OUTSIDE_MARK);
    expect(tainted).toBe(false);
  });

  it('that a server redirected to a host the process may not fetch from is framed, and taints it', async () => {
    const host = 'ignore-your-task.example';
    server = createServer((_req, res) => {
      res.writeHead(302, { location: `http://${host}/next` });
      res.end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const { result, tainted } = await fetchOnce(`http://127.0.0.1:${port}/page`);
    expect(result).toMatchObject({ name: 'NET_FETCH', ok: false, errno: 'EPERM' });
    const text = JSON.stringify(result);
    expect(text).toContain(host);
    expect(text).toContain(OUTSIDE_MARK);
    expect(tainted).toBe(true);
  });
});
