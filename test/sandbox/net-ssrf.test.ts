/**
 * SSRF through NET_FETCH, end to end. Canary HTTP servers on 127.0.0.1 (and ::1 when the host has
 * it) record every request and must receive none; an allowed test server, opened by the policy
 * (net.allow_private) for exactly its port, redirects to them and to other schemes.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/index.js';
import { param } from '../../sys/param.js';
import { call, EXIT, outcome, startWorld, type Tape, valueOf, type World } from './world.js';

const bwrap = await findBwrap();

interface Recorder {
  server: http.Server;
  port: number;
  hits: string[];
}

async function listen(host: string, handler: http.RequestListener): Promise<http.Server | null> {
  const server = http.createServer(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    return server;
  } catch {
    return null;
  }
}

const SERVER_CANARY = `CANARY-SERVER-${randomBytes(12).toString('hex')}`;

async function canaryServer(host: string): Promise<Recorder | null> {
  const hits: string[] = [];
  const server = await listen(host, (req, res) => {
    hits.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.setHeader('content-type', 'text/plain');
    res.end(SERVER_CANARY);
  });
  return server ? { server, port: (server.address() as AddressInfo).port, hits } : null;
}

const canary = (await canaryServer('127.0.0.1')) as Recorder;
const canary6 = await canaryServer('::1');
if (!canary6) console.log('no ::1 on this host: IPv6 loopback cases aim at a closed port instead');
const v6Port = canary6?.port ?? canary.port;

const BIG = param.netMaxBodyBytes + 1024 * 1024;
const allowedHits: string[] = [];
const ROUTES: Record<string, string> = {};
const allowed = (await listen('127.0.0.1', (req, res) => {
  const url = req.url ?? '';
  allowedHits.push(url);
  const location = ROUTES[url];
  if (location !== undefined) {
    res.writeHead(302, { location });
    res.end();
  } else if (url === '/big') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('a'.repeat(BIG));
  } else {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello from the allowed server');
  }
})) as http.Server;
const allowedPort = (allowed.address() as AddressInfo).port;
const A = `http://127.0.0.1:${allowedPort}`;
const P = canary.port;
Object.assign(ROUTES, {
  '/to-canary': `http://127.0.0.1:${P}/stolen`,
  '/to-canary-v6': `http://[::1]:${v6Port}/stolen`,
  '/to-mapped': `http://[::ffff:127.0.0.1]:${P}/stolen`,
  '/to-decimal': `http://2130706433:${P}/stolen`,
  '/to-localhost': `http://localhost:${P}/stolen`,
  '/to-zero': `http://0.0.0.0:${P}/stolen`,
  '/to-metadata': 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  '/to-file': 'file:///etc/passwd',
  '/to-gopher': `gopher://127.0.0.1:${P}/_GET%20/stolen`,
  '/to-creds': `http://user:pass@127.0.0.1:${allowedPort}/ok`,
  '/to-protocol-relative': `//127.0.0.1:${P}/stolen`,
  '/to-allowed-by-name': `http://localhost:${allowedPort}/ok`,
  '/loop': '/loop',
});

afterAll(async () => {
  for (const server of [canary.server, canary6?.server, allowed]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
});

let w: World | undefined;
afterEach(async () => {
  if (!w) return;
  try {
    await w.assertNoLeak();
    await w.assertOutsideUntouched();
    expect(JSON.stringify(w.events)).not.toContain(SERVER_CANARY);
    expect(canary.hits, 'requests that reached the 127.0.0.1 canary').toEqual([]);
    expect(canary6?.hits ?? [], 'requests that reached the ::1 canary').toEqual([]);
  } finally {
    await w.close();
    w = undefined;
    allowedHits.length = 0;
  }
});

const NET_CAPS = ['net.fetch:*', 'exec', 'fs.read:/**', 'fs.write:/**'];

async function fetchOnce(url: string, caps = NET_CAPS): Promise<ReturnType<World['results']>[number] | undefined> {
  const tape: Tape = { root: [call('NET_FETCH', { url }), { expect: '[SYS_RESULT::NET_FETCH]', reply: EXIT }] };
  w = await startWorld(tape, { rootCapabilities: caps, netAllowPrivate: [`127.0.0.1:${allowedPort}`] });
  const pcb = await w.run();
  expect(pcb.exitReason, 'the NET_FETCH result reached the model').toBe('exited');
  return w.resultsOf(pcb.pid, 'NET_FETCH')[0];
}

describe('the setup works (positive controls)', () => {
  it('the allowed server is reachable through the policy opening', async () => {
    const value = valueOf(await fetchOnce(`${A}/ok`));
    expect(value).toMatchObject({ status: 200, body: 'hello from the allowed server', truncated: false });
    expect(allowedHits).toEqual(['/ok']);
  });

  it('a body over 5 MiB is cut at 5 MiB and flagged truncated, also in what the model sees', async () => {
    const value = valueOf(await fetchOnce(`${A}/big`));
    expect(value).toMatchObject({ status: 200, bytes: param.netMaxBodyBytes, truncated: true });
    expect(String(value.body).length).toBe(param.netMaxBodyBytes);
    const seen = (w as World).events.filter((e) => e.type === 'prompt').map((e) => (e.type === 'prompt' ? e.text : ''));
    expect(seen.at(-1)).toContain('"truncated":true');
  });
});

interface Literal {
  url: string;
  errno: string;
}

const LITERALS: Literal[] = [
  { url: `http://127.0.0.1:${P}/`, errno: 'EACCES' },
  { url: `http://localhost:${P}/`, errno: 'EACCES' },
  { url: `http://LOCALHOST:${P}/`, errno: 'EACCES' },
  { url: `http://2130706433:${P}/`, errno: 'EACCES' },
  { url: `http://0x7f000001:${P}/`, errno: 'EACCES' },
  { url: `http://0x7f.0.0.1:${P}/`, errno: 'EACCES' },
  { url: `http://0177.0.0.1:${P}/`, errno: 'EACCES' },
  { url: `http://127.1:${P}/`, errno: 'EACCES' },
  { url: `http://127.0.0.2:${P}/`, errno: 'EACCES' },
  { url: `http://0.0.0.0:${P}/`, errno: 'EACCES' },
  { url: `http://0:${P}/`, errno: 'EACCES' },
  { url: `http://[::1]:${v6Port}/`, errno: 'EACCES' },
  { url: `http://[::]:${v6Port}/`, errno: 'EACCES' },
  { url: `http://[::ffff:127.0.0.1]:${P}/`, errno: 'EACCES' },
  { url: `http://[::ffff:7f00:1]:${P}/`, errno: 'EACCES' },
  { url: `http://[0:0:0:0:0:ffff:127.0.0.1]:${P}/`, errno: 'EACCES' },
  { url: `http://[::127.0.0.1]:${P}/`, errno: 'EACCES' },
  { url: `http://[64:ff9b::7f00:1]:${P}/`, errno: 'EACCES' },
  { url: `http://[fe80::1%25lo]:${P}/`, errno: 'EINVAL' },
  { url: 'http://169.254.169.254/latest/meta-data/', errno: 'EACCES' },
  { url: 'http://[fd00:ec2::254]/latest/meta-data/', errno: 'EACCES' },
  { url: 'http://10.0.0.1/', errno: 'EACCES' },
  { url: 'http://172.16.0.1/', errno: 'EACCES' },
  { url: 'http://192.168.0.1/', errno: 'EACCES' },
  { url: 'http://100.64.0.1/', errno: 'EACCES' },
  { url: 'file:///etc/passwd', errno: 'EINVAL' },
  { url: `ftp://127.0.0.1:${P}/`, errno: 'EINVAL' },
  { url: `gopher://127.0.0.1:${P}/_GET%20/`, errno: 'EINVAL' },
  { url: `http://user:pass@127.0.0.1:${allowedPort}/ok`, errno: 'EINVAL' },
  { url: `http://127.0.0.1:${allowedPort}@127.0.0.1:${P}/`, errno: 'EINVAL' },
];

describe('loopback, private, metadata and scheme tricks are refused before any connection', () => {
  it.each(LITERALS)('$url -> $errno', async ({ url, errno }) => {
    const result = await fetchOnce(url);
    expect(outcome(result)).toBe(errno);
    expect(allowedHits).toEqual([]);
  });

  it.each([
    [{ host: `127.0.0.1:${P}` }],
    [{ 'x-smuggle': `a\r\nHost: 127.0.0.1:${P}` }],
    [{ 'transfer-encoding': 'chunked' }],
    [{ 'proxy-authorization': 'x' }],
  ])('request headers cannot steer the connection: %j -> EINVAL', async (headers) => {
    const tape: Tape = {
      root: [call('NET_FETCH', { url: `${A}/ok`, headers }), { expect: '"errno":"EINVAL"', reply: EXIT }],
    };
    w = await startWorld(tape, { rootCapabilities: NET_CAPS, netAllowPrivate: [`127.0.0.1:${allowedPort}`] });
    const pcb = await w.run();
    expect(outcome(w.resultsOf(pcb.pid, 'NET_FETCH')[0])).toBe('EINVAL');
    expect(allowedHits).toEqual([]);
  });

  it('a capability for *.example.org only: 127.0.0.1 is EPERM even though the policy opens its port', async () => {
    expect(outcome(await fetchOnce(`${A}/ok`, ['net.fetch:*.example.org']))).toBe('EPERM');
    expect(allowedHits).toEqual([]);
  });
});

describe('redirects from the allowed server are re-checked', () => {
  const REDIRECTS: Array<[string, string]> = [
    ['/to-canary', 'EACCES'],
    ['/to-canary-v6', 'EACCES'],
    ['/to-mapped', 'EACCES'],
    ['/to-decimal', 'EACCES'],
    ['/to-localhost', 'EACCES'],
    ['/to-zero', 'EACCES'],
    ['/to-metadata', 'EACCES'],
    ['/to-file', 'EACCES'],
    ['/to-gopher', 'EACCES'],
    ['/to-creds', 'EACCES'],
    ['/to-protocol-relative', 'EACCES'],
    ['/loop', 'EIO'],
  ];

  it.each(REDIRECTS)('%s -> %s', async (route, errno) => {
    const result = await fetchOnce(`${A}${route}`);
    expect(outcome(result)).toBe(errno);
    expect(allowedHits[0]).toBe(route);
    if (route === '/loop') {
      expect(result?.message).toContain('too many redirects');
      expect(allowedHits.length).toBe(param.netMaxRedirects + 1);
    } else {
      expect(allowedHits).toEqual([route]);
    }
  });

  it('the capability is asked again on every hop: net.fetch:127.0.0.1 does not cover a redirect to localhost', async () => {
    const result = await fetchOnce(`${A}/to-allowed-by-name`, ['net.fetch:127.0.0.1']);
    expect(outcome(result)).toBe('EPERM');
    expect(allowedHits).toEqual(['/to-allowed-by-name']);
  });
});

describe.skipIf(!bwrap)('the exec sandbox has no network', () => {
  it('bash /dev/tcp, curl and python sockets to the canaries all fail', async () => {
    const cmd = [
      `(exec 3<>/dev/tcp/127.0.0.1/${P}) 2>/dev/null && echo TCP-OPEN`,
      `curl -s -m 2 http://127.0.0.1:${P}/ && echo CURL-OK`,
      `curl -s -m 2 'http://[::1]:${v6Port}/' && echo CURL6-OK`,
      `python3 -c "import socket; socket.create_connection(('10.0.0.1', 80), timeout=1)" 2>/dev/null && echo PY-OK`,
      'echo end',
    ].join('; ');
    w = await startWorld(
      { root: [call('EXEC_CMD', { cmd, timeout_s: 8 }), { expect: 'end', reply: EXIT }] },
      { rootCapabilities: NET_CAPS },
    );
    const pcb = await w.run();
    const value = valueOf(w.resultsOf(pcb.pid, 'EXEC_CMD')[0]);
    expect(value.stdout).toBe('end\n');
  });
});
