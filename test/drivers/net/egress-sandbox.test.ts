/**
 * "The adapter's sandbox reaches no host but its API" (issue 34), through the real sandbox: a probe
 * in bubblewrap with no network of its own and the egress proxy's socket bound in. Its own
 * loopback and DNS lead nowhere; the proxy tunnels to the one allowed host:port and answers 403 for
 * a server next to it, which never sees a connection.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { MCP_LIMITS } from '../../../drivers/mcp/driver.js';
import { launchSandboxedServer } from '../../../drivers/mcp/sandbox-launch.js';
import { type EgressProxy, startEgressProxy } from '../../../drivers/net/egress-proxy.js';

const bwrap = await findBwrap();

/** What the probe tries from inside: a direct connection, a DNS lookup, a tunnel to each port. */
const PROBE = `
import net from 'node:net';
import dns from 'node:dns/promises';
const [sock, allowedPort, otherPort] = process.argv.slice(2);
const direct = await new Promise((r) => { const s = net.connect(Number(allowedPort), '127.0.0.1'); s.on('connect', () => { s.destroy(); r('open'); }); s.on('error', (e) => r(e.code)); });
const lookup = await dns.lookup('example.com').then(() => 'resolved', (e) => e.code);
const tunnel = (port) => new Promise((r) => {
  const s = net.connect(sock, () => s.write('CONNECT 127.0.0.1:' + port + ' HTTP/1.1\\r\\n\\r\\n'));
  let head = '';
  const onHead = (d) => {
    head += d;
    if (!head.includes('\\r\\n\\r\\n')) return;
    s.off('data', onHead);
    const status = head.split(' ')[1];
    if (status !== '200') { s.destroy(); return r(status); }
    let body = '';
    s.on('data', (b) => (body += b));
    s.on('end', () => r(body.includes('hello from /probe') ? 'served' : 'garbled'));
    s.write('GET /probe HTTP/1.1\\r\\nhost: fake\\r\\nconnection: close\\r\\n\\r\\n');
  };
  s.on('data', onHead);
  s.on('error', (e) => r(e.code));
});
const allowed = await tunnel(allowedPort);
const other = await tunnel(otherPort);
process.stdout.write(JSON.stringify({ direct, lookup, allowed, other }) + '\\n');
`;

let dir = '';
let proxy: EgressProxy | null = null;
const servers: http.Server[] = [];
const hits = new Map<number, number>();

async function serve(): Promise<number> {
  const server = http.createServer((req, res) => res.end(`hello from ${req.url ?? ''}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  server.on('connection', () => hits.set(port, (hits.get(port) ?? 0) + 1));
  servers.push(server);
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-egress-sb-'));
});
afterAll(async () => {
  await proxy?.close();
  for (const server of servers) server.close();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!bwrap)('a sandbox whose only way out is the egress proxy', () => {
  it('reaches the allowed host:port through it, and nothing else: not its own loopback, not DNS, not the server beside it', async () => {
    const allowedPort = await serve();
    const otherPort = await serve();
    const socketDir = path.join(dir, 'run');
    await import('node:fs/promises').then((fs) => fs.mkdir(socketDir, { mode: 0o700 }));
    proxy = await startEgressProxy({
      socketPath: path.join(socketDir, 'egress.sock'),
      allow: [`127.0.0.1:${allowedPort}`],
      allowPrivate: [`127.0.0.1:${allowedPort}`],
    });
    const probe = path.join(dir, 'probe.mjs');
    await writeFile(probe, PROBE);
    const sandbox = await launchSandboxedServer(
      {
        kind: 'stdio',
        command: 'node',
        args: [probe, proxy.socketPath, String(allowedPort), String(otherPort)],
        env: {},
        read: [dir],
        write: [],
        workspace: false,
        network: false,
      },
      dir,
      MCP_LIMITS,
    );
    try {
      let out = '';
      (sandbox.child.stdout as Readable).on('data', (chunk: Buffer) => (out += chunk.toString()));
      let err = '';
      (sandbox.child.stderr as Readable).on('data', (chunk: Buffer) => (err += chunk.toString()));
      await new Promise<void>((resolve) => sandbox.child.once('exit', () => resolve()));
      const seen = JSON.parse(out.trim() || '{}') as Record<string, string>;
      expect(seen, err).toMatchObject({ direct: 'ECONNREFUSED', allowed: 'served', other: '403' });
      expect(seen.lookup).not.toBe('resolved');
      expect(hits.get(allowedPort)).toBe(1);
      expect(hits.get(otherPort) ?? 0).toBe(0);
    } finally {
      await sandbox.kill();
    }
  }, 30_000);
});
