/**
 * The egress proxy a network-less sandbox is given (issue 34's channel adapters): a tunnel to an
 * allowed host:port carries a real HTTP exchange; any other target — another port, another name, a
 * name that resolves to loopback, a spelling meant to slip through — is answered 403, reported, and
 * the host behind it never sees a connection.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EgressDecision,
  type EgressProxy,
  egressAllows,
  parseConnectTarget,
  startEgressProxy,
} from '../../../drivers/net/egress-proxy.js';
import { openTunnel } from '../../../drivers/net/egress-tunnel.js';

let dir = '';
let proxy: EgressProxy;
const decisions: EgressDecision[] = [];
const servers: Array<{ server: http.Server; port: number; hits: number }> = [];

async function serve(): Promise<{ server: http.Server; port: number; hits: number }> {
  const entry = { server: http.createServer(), port: 0, hits: 0 };
  entry.server.on('connection', () => entry.hits++);
  entry.server.on('request', (req, res) => res.end(`hello from ${req.url ?? ''}`));
  await new Promise<void>((resolve) => entry.server.listen(0, '127.0.0.1', resolve));
  entry.port = (entry.server.address() as AddressInfo).port;
  servers.push(entry);
  return entry;
}

/** An HTTP GET through a tunnel. */
function getThrough(socket: net.Socket, pathname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ createConnection: () => socket, path: pathname, headers: { host: 'fake' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

let allowed: { server: http.Server; port: number; hits: number };
let other: { server: http.Server; port: number; hits: number };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-egress-'));
  allowed = await serve();
  other = await serve();
  proxy = await startEgressProxy({
    socketPath: path.join(dir, 'egress.sock'),
    allow: [
      `127.0.0.1:${allowed.port}`,
      `localhost:${allowed.port}`,
      `rebind.example:${other.port}`,
      'api.telegram.org:443',
      '*.slack.com:443',
    ],
    allowPrivate: [`127.0.0.1:${allowed.port}`],
    onDecision: (d) => decisions.push(d),
    resolve: async (host) =>
      host === 'localhost' || host === 'rebind.example'
        ? [{ address: '127.0.0.1', family: 4 }]
        : [{ address: '203.0.113.7', family: 4 }],
  });
});
afterAll(async () => {
  await proxy.close();
  for (const { server } of servers) server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('egress proxy', () => {
  it('carries an HTTP exchange to an allowed host:port, and says so', async () => {
    const socket = await openTunnel(proxy.socketPath, '127.0.0.1', allowed.port);
    expect(await getThrough(socket, '/bot123/getMe')).toBe('hello from /bot123/getMe');
    expect(decisions.at(-1)).toMatchObject({ target: `127.0.0.1:${allowed.port}`, allowed: true });
    expect(proxy.stats()).toMatchObject({ opened: 1 });
    expect(proxy.stats().bytesIn).toBeGreaterThan(0);
    expect((await stat(proxy.socketPath)).mode & 0o777).toBe(0o600);
  });

  it('refuses every other target with 403, reported, and the host behind it sees no connection', async () => {
    const before = other.hits;
    const refused = [
      ['127.0.0.1', other.port], // another port of the same host
      ['127.0.0.2', allowed.port], // another address
      ['example.com', 443], // another name
      ['api.telegram.org', 80], // the right name, another port
      ['api.telegram.org.evil.com', 443],
      ['slack.com', 443], // *.slack.com is under slack.com, not slack.com itself
      ['rebind.example', other.port], // allowed by name, but it resolves to loopback, which is opened only as a literal address:port
      ['api.telegram.org', 443], // allowed, but its answer here is a reserved address: refused as the fetch driver refuses it
    ] as const;
    for (const [host, port] of refused) {
      const outcome = await openTunnel(proxy.socketPath, host, port).then(
        (s) => {
          s.destroy();
          return 'open';
        },
        (e: { code?: string }) => e.code,
      );
      expect(outcome, `${host}:${port}`).toBe('EACCES');
    }
    expect(other.hits).toBe(before);
    const denied = decisions.filter((d) => !d.allowed).map((d) => d.target);
    expect(denied).toEqual(
      expect.arrayContaining([
        `127.0.0.1:${other.port}`,
        'example.com:443',
        'api.telegram.org:80',
        `rebind.example:${other.port}`,
      ]),
    );
    // A name allowed and an address opened: through.
    const named = await openTunnel(proxy.socketPath, 'localhost', allowed.port);
    expect(await getThrough(named, '/x')).toBe('hello from /x');
  });

  it('refuses request lines that are not a plain CONNECT host:port, and heads too large', async () => {
    const raw = async (text: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = net.connect(proxy.socketPath, () => socket.write(text));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('close', () => resolve(answer));
        socket.on('error', () => resolve(answer));
      });
    for (const line of [
      `GET http://127.0.0.1:${allowed.port}/ HTTP/1.1`,
      `CONNECT user@127.0.0.1:${allowed.port} HTTP/1.1`,
      `CONNECT 127.1:${allowed.port} HTTP/1.1`,
      `CONNECT 127.0.0.1:0${allowed.port} HTTP/1.1`,
      `CONNECT 127.0.0.1:${allowed.port}`,
    ]) {
      expect(await raw(`${line}\r\n\r\n`), line).toMatch(/^HTTP\/1\.1 403 /);
    }
    expect(await raw(`CONNECT 127.0.0.1:${allowed.port} HTTP/1.1\r\nx: ${'a'.repeat(9_000)}`)).toMatch(
      /^HTTP\/1\.1 431 /,
    );
    expect(other.hits).toBe(0);
  });
});

describe('CONNECT targets and rules', () => {
  it('reads host and port in one spelling', () => {
    expect(parseConnectTarget('CONNECT API.Telegram.org.:443 HTTP/1.1')).toEqual({
      host: 'api.telegram.org',
      port: 443,
    });
    expect(parseConnectTarget('CONNECT [::1]:8080 HTTP/1.1')).toEqual({ host: '::1', port: 8080 });
    for (const bad of [
      'CONNECT a..b:443 HTTP/1.1',
      'CONNECT a%2eb:443 HTTP/1.1',
      'CONNECT 2130706433:443 HTTP/1.1',
      'CONNECT host:65536 HTTP/1.1',
      'CONNECT host: 443 HTTP/1.1',
      'CONNECT -a.com:443 HTTP/1.1',
      'connect a.com:443 HTTP/1.1',
    ]) {
      expect(parseConnectTarget(bad), bad).toBeNull();
    }
  });

  it("matches names exactly, or any name under a *. rule, on the rule's port only", () => {
    const rules = ['api.telegram.org:443', '*.slack.com:443'];
    expect(egressAllows(rules, 'api.telegram.org', 443)).toBe(true);
    expect(egressAllows(rules, 'wss-primary.slack.com', 443)).toBe(true);
    expect(egressAllows(rules, 'a.b.slack.com', 443)).toBe(true);
    expect(egressAllows(rules, 'slack.com', 443)).toBe(false);
    expect(egressAllows(rules, 'evilslack.com', 443)).toBe(false);
    expect(egressAllows(rules, 'api.telegram.org', 8443)).toBe(false);
  });
});
