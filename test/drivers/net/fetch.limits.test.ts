import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedFetch, type NetFetchOptions, type ResolvedAddress } from '../../../drivers/net/fetch.js';
import { startHttpServer, startSilentServer, waitFor, type TestServer } from './test-servers.js';

const BIG = Buffer.alloc(1024 * 1024, 'a');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);

let server: TestServer;
let options: NetFetchOptions;
const url = (path: string): string => `http://127.0.0.1:${server.port}${path}`;

beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/text') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('héllo wörld');
    else if (path === '/json') res.writeHead(200, { 'content-type': 'application/problem+json' }).end('{"ok":true}');
    else if (path === '/missing') res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>not here</h1>');
    else if (path === '/boom') res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
    else if (path === '/png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else if (path === '/big') res.writeHead(200, { 'content-type': 'text/plain' }).end(BIG);
    else if (path === '/accents') res.writeHead(200, { 'content-type': 'text/plain' }).end('aéééé');
    else if (path === '/a') res.writeHead(302, { location: '/b?x=1' }).end();
    else if (path === '/b?x=1') res.writeHead(301, { location: url('/c') }).end();
    else if (path === '/c') res.writeHead(200, { 'content-type': 'text/plain' }).end('landed');
    else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (path === '/cross') res.writeHead(307, { location: `http://other.test:${server.port}/echo` }).end();
    else if (path === '/echo')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
    else if (path === '/hang') return;
    else if (path === '/drip') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(timer));
    } else res.writeHead(200).end('plain');
  });
  const resolve = async (): Promise<ResolvedAddress[]> => [{ address: '127.0.0.1', family: 4 }];
  options = {
    maxBodyBytes: 64 * 1024,
    connectTimeoutMs: 1000,
    totalTimeoutMs: 5000,
    maxRedirects: 5,
    allowHost: () => true,
    // How an explicit policy entry opens one local service.
    allowPrivate: (ip, port) => ip === '127.0.0.1' && port === server.port,
    resolve,
  };
});
afterAll(() => server.close());

async function expectClosed(): Promise<void> {
  await waitFor(() => server.openSockets() === 0);
}

describe('responses', () => {
  it('returns status, content type and UTF-8 text', async () => {
    const result = await guardedFetch(
      url('/text'),
      { 'X-Trace': 'abc', Authorization: 'Bearer t' },
      { ...options, userAgent: 'aos-test' },
    );
    expect(result).toEqual({
      url: url('/text'),
      status: 200,
      content_type: 'text/plain; charset=utf-8',
      body: 'héllo wörld',
      encoding: 'utf8',
      bytes: Buffer.byteLength('héllo wörld'),
      truncated: false,
      redirects: [],
    });
    const seen = server.requests.at(-1);
    expect(seen).toMatchObject({ method: 'GET', url: '/text' });
    expect(seen?.headers).toMatchObject({
      'x-trace': 'abc',
      'user-agent': 'aos-test',
      host: `127.0.0.1:${server.port}`,
      'accept-encoding': 'identity',
    });
  });

  it('decodes +json, and an undeclared UTF-8 body', async () => {
    expect(await guardedFetch(url('/json'), undefined, options)).toMatchObject({
      body: '{"ok":true}',
      encoding: 'utf8',
    });
    expect(await guardedFetch(url('/plain'), undefined, options)).toMatchObject({
      content_type: '',
      body: 'plain',
      encoding: 'utf8',
    });
  });

  it('returns 4xx and 5xx as results, not errors', async () => {
    expect(await guardedFetch(url('/missing'), undefined, options)).toMatchObject({
      status: 404,
      body: '<h1>not here</h1>',
    });
    expect(await guardedFetch(url('/boom'), undefined, options)).toMatchObject({ status: 503, body: 'down' });
  });

  it('reports a binary body by size only', async () => {
    const result = await guardedFetch(url('/png'), undefined, options);
    expect(result).toMatchObject({
      status: 200,
      content_type: 'image/png',
      body: null,
      encoding: 'none',
      bytes: PNG.length,
      truncated: false,
    });
  });

  it('stops at maxBodyBytes and drops the connection', async () => {
    const result = await guardedFetch(url('/big'), undefined, { ...options, maxBodyBytes: 1000 });
    expect(result).toMatchObject({ bytes: 1000, truncated: true, encoding: 'utf8' });
    expect(result.body).toBe('a'.repeat(1000));
    await expectClosed();
  });

  it('does not emit half a character when truncation splits one', async () => {
    const result = await guardedFetch(url('/accents'), undefined, { ...options, maxBodyBytes: 4 });
    expect(result).toMatchObject({ body: 'aé', bytes: 4, truncated: true });
  });
});

describe('redirects', () => {
  it('follows relative and absolute redirects and records each hop', async () => {
    const result = await guardedFetch(url('/a'), undefined, options);
    expect(result).toMatchObject({
      url: url('/c'),
      status: 200,
      body: 'landed',
      redirects: [url('/b?x=1'), url('/c')],
    });
  });

  it('fails with too many redirects', async () => {
    const before = server.requests.length;
    await expect(guardedFetch(url('/loop'), undefined, { ...options, maxRedirects: 3 })).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringMatching(/too many redirects/),
    });
    expect(server.requests.length - before).toBe(4);
    await expect(guardedFetch(url('/a'), undefined, { ...options, maxRedirects: 0 })).rejects.toThrow(
      /too many redirects/,
    );
  });

  it('drops Authorization and Cookie when a redirect leaves the origin', async () => {
    const result = await guardedFetch(
      url('/cross'),
      { authorization: 'Bearer secret', cookie: 'a=b', 'x-keep': '1' },
      options,
    );
    const echoed = JSON.parse(result.body ?? '{}') as Record<string, string>;
    expect(echoed['host']).toBe(`other.test:${server.port}`);
    expect(echoed['x-keep']).toBe('1');
    expect(echoed['authorization']).toBeUndefined();
    expect(echoed['cookie']).toBeUndefined();
  });
});

describe('time limits, aborts and failures', () => {
  it('times out a server that accepts but never answers, and closes the socket', async () => {
    const started = Date.now();
    await expect(guardedFetch(url('/hang'), undefined, { ...options, totalTimeoutMs: 300 })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
    // Its own limit ended it (not before it); a server that never answers holds any other past the test's timeout.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await expectClosed();
  });

  it('times out a body that drips forever', async () => {
    await expect(guardedFetch(url('/drip'), undefined, { ...options, totalTimeoutMs: 300 })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: expect.stringMatching(/took longer than 300 ms/),
    });
    await expectClosed();
  });

  it('honours an abort signal mid-request and mid-body', async () => {
    for (const path of ['/hang', '/drip']) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await expect(guardedFetch(url(path), undefined, options, controller.signal)).rejects.toMatchObject({
        code: 'EINTR',
      });
      await expectClosed();
    }
  });

  it('does not connect at all when the signal is already aborted', async () => {
    const silent = await startSilentServer();
    try {
      const aborted = AbortSignal.abort();
      const opened = { ...options, allowPrivate: () => true };
      await expect(guardedFetch(`http://127.0.0.1:${silent.port}/`, undefined, opened, aborted)).rejects.toMatchObject({
        code: 'EINTR',
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(silent.connections()).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it('aborts a slow resolver at the deadline', async () => {
    const never = (): Promise<ResolvedAddress[]> => new Promise<ResolvedAddress[]>(() => undefined);
    await expect(
      guardedFetch('http://slow.test/', undefined, { ...options, resolve: never, totalTimeoutMs: 100 }),
    ).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
  });

  it('maps a refused connection to EIO and a failed lookup to ENOENT', async () => {
    const closed = await startHttpServer();
    const port = closed.port;
    await closed.close();
    const opened = { ...options, allowPrivate: () => true };
    await expect(guardedFetch(`http://127.0.0.1:${port}/`, undefined, opened)).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringMatching(/refused/),
    });
    const missing = (): Promise<ResolvedAddress[]> =>
      Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    await expect(
      guardedFetch('http://nowhere.test/', undefined, { ...options, resolve: missing }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
