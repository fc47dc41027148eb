import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guardedFetch, type ResolvedAddress } from '../../../drivers/net/fetch.js';
import { BASE, ONLY_LOOPBACK_V4, startHttpServer, type TestServer } from './test-servers.js';

/** A policy entry opening one local service (address and port), as an operator would write it. */
const openOnly =
  (server: TestServer) =>
  (ip: string, port: number): boolean =>
    ip === '127.0.0.1' && port === server.port;

let canary: TestServer;
let canaryV6: TestServer | undefined;

beforeAll(async () => {
  canary = await startHttpServer();
  // Same port on ::1 when the host has IPv6 loopback, so [::1] spellings would hit a canary too.
  canaryV6 = await startHttpServer(undefined, '::1', canary.port).catch(() => undefined);
});
afterAll(async () => {
  await canary.close();
  await canaryV6?.close();
});
afterEach(() => {
  expect(canary.connections()).toBe(0);
  expect(canaryV6?.connections() ?? 0).toBe(0);
});

describe('blocked destinations never reach the canary', () => {
  const spellings = [
    'http://127.0.0.1:PORT/',
    'http://localhost:PORT/',
    'http://2130706433:PORT/',
    'http://0x7f000001:PORT/',
    'http://0x7f.1:PORT/',
    'http://0177.0.0.1:PORT/',
    'http://127.1:PORT/',
    'http://0.0.0.0:PORT/',
    'http://0:PORT/',
    'http://[::1]:PORT/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://[::ffff:7f00:1]:PORT/',
    'http://[::]:PORT/',
    'http://[64:ff9b::7f00:1]:PORT/',
    'http://127.0.0.1.:PORT/',
    'http://LOCALHOST:PORT/',
  ];
  it.each(spellings)('%s is refused with EACCES', async (spelling) => {
    const url = spelling.replace('PORT', String(canary.port));
    await expect(guardedFetch(url, undefined, BASE)).rejects.toMatchObject({ code: 'EACCES' });
  });

  it('names the range in the error', async () => {
    await expect(guardedFetch(`http://127.0.0.1:${canary.port}/`, undefined, BASE)).rejects.toThrow(
      /address 127\.0\.0\.1 is in a loopback range/,
    );
    await expect(guardedFetch('http://10.0.0.1/', undefined, BASE)).rejects.toThrow(
      /address 10\.0\.0\.1 is in a private range/,
    );
    await expect(guardedFetch('http://169.254.169.254/latest/meta-data/', undefined, BASE)).rejects.toThrow(
      /cloud metadata/,
    );
  });

  it('refuses when ANY resolved address is blocked, even if the first is public', async () => {
    const resolve = async (): Promise<ResolvedAddress[]> => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ];
    await expect(guardedFetch('http://mixed.test/', undefined, { ...BASE, resolve })).rejects.toThrow(
      /10\.0\.0\.1 is in a private/,
    );
  });

  it('never lets policy open a resolver answer that is not an IP', async () => {
    const resolve = async (): Promise<ResolvedAddress[]> => [{ address: 'localhost', family: 4 }];
    const options = { ...BASE, resolve, allowPrivate: () => true };
    await expect(guardedFetch(`http://odd.test:${canary.port}/`, undefined, options)).rejects.toMatchObject({
      code: 'EACCES',
    });
  });

  it('refuses other schemes and credentials before any connection', async () => {
    for (const url of [
      'file:///etc/passwd',
      'ftp://127.0.0.1/',
      'data:text/plain,hi',
      'javascript:alert(1)',
      'gopher://x/',
    ]) {
      await expect(guardedFetch(url, undefined, BASE)).rejects.toMatchObject({
        code: 'EINVAL',
        message: expect.stringMatching(/only http and https/),
      });
    }
    const withCreds = `http://user:pass@127.0.0.1:${canary.port}/`;
    await expect(guardedFetch(withCreds, undefined, { ...BASE, allowPrivate: ONLY_LOOPBACK_V4 })).rejects.toMatchObject(
      { code: 'EINVAL' },
    );
    await expect(guardedFetch('not a url', undefined, BASE)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it.each([
    [{ Host: 'internal.example' }],
    [{ connection: 'keep-alive' }],
    [{ 'Content-Length': '5' }],
    [{ 'Transfer-Encoding': 'chunked' }],
    [{ 'Proxy-Authorization': 'Basic eA==' }],
    [{ 'X-Injected': 'a\r\nHost: evil' }],
    [{ 'bad header': 'x' }],
    [Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-h${i}`, 'v']))],
    [{ 'x-big': 'v'.repeat(10_000) }],
  ])('refuses request headers %j with EINVAL', async (headers) => {
    const options = { ...BASE, allowPrivate: ONLY_LOOPBACK_V4 };
    await expect(guardedFetch(`http://127.0.0.1:${canary.port}/`, headers, options)).rejects.toMatchObject({
      code: 'EINVAL',
    });
  });

  it('refuses a host the process has no capability for', async () => {
    const options = { ...BASE, allowPrivate: ONLY_LOOPBACK_V4, allowHost: (host: string) => host === 'example.com' };
    await expect(guardedFetch(`http://127.0.0.1:${canary.port}/`, undefined, options)).rejects.toMatchObject({
      code: 'EPERM',
      message: 'no capability to fetch from 127.0.0.1',
    });
  });
});

describe('redirects out of an allowed server', () => {
  let origin: TestServer;
  beforeAll(async () => {
    origin = await startHttpServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/';
      res.writeHead(302, { location: target.replace('PORT', String(canary.port)) }).end();
    });
  });
  afterAll(() => origin.close());

  it.each([
    ['http://[::1]:PORT/', 'EACCES'],
    ['http://localhost:PORT/', 'EACCES'],
    ['http://10.0.0.1/', 'EACCES'],
    ['http://169.254.169.254/', 'EACCES'],
    ['file:///etc/passwd', 'EACCES'],
    ['ftp://127.0.0.1/', 'EACCES'],
    ['http://u:p@127.0.0.2:PORT/', 'EACCES'],
  ])('a redirect to %s is refused', async (target, code) => {
    const url = `http://127.0.0.1:${origin.port}/?to=${encodeURIComponent(target)}`;
    await expect(guardedFetch(url, undefined, { ...BASE, allowPrivate: openOnly(origin) })).rejects.toMatchObject({
      code,
    });
  });

  it('re-asks the capability on every hop', async () => {
    const url = `http://127.0.0.1:${origin.port}/?to=${encodeURIComponent('http://elsewhere.test/')}`;
    const options = { ...BASE, allowPrivate: openOnly(origin), allowHost: (host: string) => host === '127.0.0.1' };
    await expect(guardedFetch(url, undefined, options)).rejects.toMatchObject({
      code: 'EPERM',
      message: 'no capability to fetch from elsewhere.test',
    });
  });
});

describe('DNS rebinding', () => {
  let allowed: TestServer;
  let rebindCanary: TestServer | undefined;
  beforeAll(async () => {
    allowed = await startHttpServer((req, res) => {
      if (req.url === '/hop') res.writeHead(302, { location: '/final' }).end();
      else res.end('from the checked address');
    });
    // Same port on another loopback address: what a rebinding resolver would point the socket at.
    rebindCanary = await startHttpServer(undefined, '127.0.0.2', allowed.port).catch(() => undefined);
  });
  afterAll(async () => {
    await allowed.close();
    await rebindCanary?.close();
  });

  function rebindingResolver(): { resolve: (host: string) => Promise<ResolvedAddress[]>; calls: string[] } {
    const calls: string[] = [];
    const resolve = async (host: string): Promise<ResolvedAddress[]> => {
      calls.push(host);
      return [{ address: calls.length === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
    };
    return { resolve, calls };
  }

  it('connects to exactly the address it checked, without a second lookup', async () => {
    const { resolve, calls } = rebindingResolver();
    const result = await guardedFetch(`http://rebind.test:${allowed.port}/`, undefined, {
      ...BASE,
      resolve,
      allowPrivate: ONLY_LOOPBACK_V4,
    });
    expect(result.body).toBe('from the checked address');
    // One resolution only: a second (rebound) answer is never asked for, and Node did no lookup of its own
    // (rebind.test does not exist, so a system lookup would have failed the request).
    expect(calls).toEqual(['rebind.test']);
    expect(allowed.requests.at(-1)?.headers.host).toBe(`rebind.test:${allowed.port}`);
    expect(rebindCanary?.connections() ?? 0).toBe(0);
  });

  it('re-resolves and re-checks on a redirect, refusing the rebound private answer', async () => {
    const { resolve, calls } = rebindingResolver();
    const options = { ...BASE, resolve, allowPrivate: ONLY_LOOPBACK_V4 };
    await expect(guardedFetch(`http://rebind.test:${allowed.port}/hop`, undefined, options)).rejects.toThrow(
      /address 127\.0\.0\.2 is in a loopback range/,
    );
    expect(calls).toEqual(['rebind.test', 'rebind.test']);
    expect(rebindCanary?.connections() ?? 0).toBe(0);
  });
});
