/**
 * Node's own fetch through UnixSocketDispatcher, against a real HTTP server on a unix socket:
 * bodies both ways (large ones too, so backpressure is exercised), headers, kept-alive
 * connections, abort, and the failure chromadb turns into ChromaConnectionError.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnixSocketDispatcher } from '../../../drivers/memory/unix-dispatcher.js';
import { tempDir } from './helpers.js';

const BIG = 8 * 1024 * 1024;
let dir: string;
let socketPath: string;
let server: http.Server;
let dispatcher: UnixSocketDispatcher;
const connections: number[] = [];

beforeAll(async () => {
  dir = await tempDir('aos-unix-fetch-');
  socketPath = path.join(dir, 's.sock');
  server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(BIG, 7));
      return;
    }
    if (req.url === '/hang') return;
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-echo': req.headers['x-probe'] ?? '' });
      res.end(JSON.stringify({ method: req.method, url: req.url, bytes, sha: hash.digest('hex') }));
    });
  });
  server.on('connection', () => connections.push(Date.now()));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  dispatcher = new UnixSocketDispatcher(socketPath);
});
afterAll(async () => {
  await dispatcher.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

const via = (d: UnixSocketDispatcher): RequestInit => ({ dispatcher: d.asFetchDispatcher() });

describe('UnixSocketDispatcher under fetch', () => {
  it('sends method, path, query, headers and a large body; the host in the URL does not matter', async () => {
    const body = Buffer.alloc(BIG, 3);
    const res = await fetch('http://no-such-host.invalid:1234/api/v2/x?y=1', {
      ...via(dispatcher),
      method: 'POST',
      body,
      headers: { 'x-probe': 'p1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('p1');
    expect(await res.json()).toEqual({
      method: 'POST',
      url: '/api/v2/x?y=1',
      bytes: BIG,
      sha: createHash('sha256').update(body).digest('hex'),
    });
  });

  it('receives a large body intact', async () => {
    const res = await fetch('http://chroma/big', via(dispatcher));
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(BIG);
    expect(bytes.every((b) => b === 7)).toBe(true);
  });

  it('keeps connections alive between requests', async () => {
    await (await fetch('http://chroma/a', via(dispatcher))).text();
    const before = connections.length;
    for (let i = 0; i < 5; i++) await (await fetch('http://chroma/b', via(dispatcher))).text();
    expect(connections.length).toBe(before);
  });

  it('an abort rejects the fetch with the signal reason', async () => {
    const controller = new AbortController();
    const pending = fetch('http://chroma/hang', { ...via(dispatcher), signal: controller.signal });
    setTimeout(() => controller.abort(new Error('killed')), 20);
    await expect(pending).rejects.toThrow('killed');
  });

  it('no server on the socket: "fetch failed" (what chromadb maps to ChromaConnectionError)', async () => {
    const nowhere = new UnixSocketDispatcher(path.join(dir, 'missing.sock'));
    const error = (await fetch('http://chroma/', via(nowhere)).catch((e: unknown) => e)) as TypeError & {
      cause?: { code?: string };
    };
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(error.cause?.code).toBe('ENOENT');
    await nowhere.close();
  });
});
