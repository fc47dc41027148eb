/**
 * Red team (issue 34): an adapter's only way out, the egress proxy (drivers/net/egress-proxy.ts)
 * with what egressFor gives it for an API root (drivers/channels/programs.ts). Everything a
 * compromised adapter could write on the socket to reach a host beyond its API root — another
 * port, loopback spelled otherwise (localhost, 127.1, 2130706433, 0x7f.0.0.1, ::ffff:127.0.0.1),
 * a lookalike name, an absolute-form GET, a request line with more on it, a head too large, a name
 * that resolves to loopback — is refused; the API root's own host:port goes through. Held.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressFor } from '../../drivers/channels/programs.js';
import {
  egressAllows,
  type EgressProxy,
  parseConnectTarget,
  startEgressProxy,
} from '../../drivers/net/egress-proxy.js';

let dir = '';
let upstream: net.Server;
let port = 0;
let other: net.Server;
let otherPort = 0;
let proxy: EgressProxy;
let named: EgressProxy;
const reached: string[] = [];

function listen(tag: string): Promise<[net.Server, number]> {
  const server = net.createServer((socket) => {
    reached.push(tag);
    socket.end('HELLO');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve([server, (server.address() as AddressInfo).port])),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-rt-eg-'));
  [upstream, port] = await listen('api');
  [other, otherPort] = await listen('other');
  // What the kernel gives an adapter whose API root is this fake on loopback.
  const egress = egressFor(`http://127.0.0.1:${port}`);
  proxy = await startEgressProxy({ socketPath: path.join(dir, 'a.sock'), ...egress });
  // An API root by name, whose DNS answers loopback (rebinding, or a hostile resolver).
  named = await startEgressProxy({
    socketPath: path.join(dir, 'b.sock'),
    ...egressFor(`http://api.example.test:${otherPort}`),
    resolve: async () => [{ address: '127.0.0.1', family: 4 }],
  });
});
afterAll(async () => {
  await proxy.close();
  await named.close();
  upstream.close();
  other.close();
  await rm(dir, { recursive: true, force: true });
});

/** Write `head` on the proxy's socket; what comes back (the status line) once it answers or closes. */
function ask(socketPath: string, head: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.write(head);
    setTimeout(() => socket.destroy(), 3_000);
  });
}

const connect = (target: string): string => `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`;

describe('red team: an adapter reaching past its API root through the egress proxy', () => {
  it('its own API root goes through (the control)', async () => {
    expect(await ask(proxy.socketPath, connect(`127.0.0.1:${port}`))).toBe('HTTP/1.1 200 Connection Established');
  });

  it.each([
    ['another port on the same host', () => `127.0.0.1:${otherPort}`],
    ['localhost', () => `localhost:${port}`],
    ['127.1', () => `127.1:${port}`],
    ['a decimal IPv4', () => `2130706433:${port}`],
    ['a hex IPv4', () => `0x7f.0.0.1:${port}`],
    ['IPv4-mapped IPv6', () => `[::ffff:127.0.0.1]:${port}`],
    ['IPv6 loopback', () => `[::1]:${port}`],
    ['a leading-zero port', () => `127.0.0.1:0${port}`],
    ['userinfo', () => `x@127.0.0.1:${port}`],
    ['a percent-encoded host', () => `127.0.0.%31:${port}`],
    ['0.0.0.0', () => `0.0.0.0:${port}`],
  ])('CONNECT to %s is refused', async (_label, target) => {
    const before = reached.length;
    const status = await ask(proxy.socketPath, connect(target()));
    expect(status).toMatch(/^HTTP\/1\.1 (403|400)/);
    expect(reached.length).toBe(before);
  });

  it('anything but a bare CONNECT is refused: absolute-form GET, extra words, a head past its size', async () => {
    expect(await ask(proxy.socketPath, `GET http://127.0.0.1:${port}/ HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 403/,
    );
    expect(await ask(proxy.socketPath, `CONNECT 127.0.0.1:${port} HTTP/1.1 127.0.0.1:${otherPort}\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 403/,
    );
    expect(
      await ask(proxy.socketPath, `CONNECT 127.0.0.1:${otherPort} HTTP/1.1\r\nX-Forward: 127.0.0.1:${port}\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 403/);
    expect(await ask(proxy.socketPath, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nX: ${'a'.repeat(20_000)}`)).toMatch(
      /^HTTP\/1\.1 431/,
    );
  });

  it('an allowed name whose DNS answers loopback is refused (a name never resolves its way into a private network)', async () => {
    const before = reached.length;
    expect(await ask(named.socketPath, connect(`api.example.test:${otherPort}`))).toMatch(/^HTTP\/1\.1 403/);
    expect(reached.length).toBe(before);
    expect(egressFor(`http://localhost:${port}`).allowPrivate).toEqual([]);
  });

  it('wildcard and exact rules match only what they name', () => {
    const rules = ['*.slack.com:443', 'api.telegram.org:443'];
    for (const [host, p] of [
      ['evilslack.com', 443],
      ['slack.com.evil.net', 443],
      ['api.telegram.org.evil.net', 443],
      ['xapi.telegram.org', 443],
      ['api.telegram.org', 80],
      ['slack.com', 443],
      ['.slack.com', 443],
    ] as const) {
      expect(egressAllows(rules, host, p), `${host}:${p}`).toBe(false);
    }
    expect(egressAllows(rules, 'hooks.slack.com', 443)).toBe(true);
    for (const line of [`CONNECT API.TELEGRAM.ORG:443 HTTP/1.1`, 'CONNECT api.telegram.org.:443 HTTP/1.1'])
      expect(parseConnectTarget(line)).toEqual({ host: 'api.telegram.org', port: 443 });
    expect(parseConnectTarget('CONNECT api.telegram.org:443 HTTP/1.1\r')).toBeNull();
    expect(parseConnectTarget('CONNECT api.telegram.org:65536 HTTP/1.1')).toBeNull();
  });
});
