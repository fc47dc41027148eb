/**
 * A Chroma server's answers are bounded (param.memoryReplyMaxBytes) where their bytes arrive, below
 * the chromadb client's own fetch: a server that answers without end — CHROMA_URL pointing at a
 * broken or hostile server, or the kernel's own server's socket taken over — is cut off and the
 * memory operation fails EIO, where the client used to read it whole into the kernel's memory until
 * the operation's time limit. The heartbeat reads a status, not a body that may never end.
 */
import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chromaTarget, heartbeat, unixSocketAddress } from '../../drivers/memory/chroma-address.js';
import { ExternalChroma } from '../../drivers/memory/chroma-endpoint.js';
import { LocalEmbedder } from '../../drivers/memory/embedders.js';
import { MemoryStore } from '../../drivers/memory/memory-store.js';
import { UnixSocketDispatcher } from '../../drivers/memory/unix-dispatcher.js';
import { nodeDispatcher } from '../../drivers/node-dispatcher.js';
import { cappedDispatcher } from '../../drivers/capped-dispatcher.js';
import { isReplyTooLarge, replyCut } from '../../drivers/reply-cap.js';
import { AosError } from '../../sys/errno.js';
import { param as readonlyParam } from '../../sys/param.js';
import { tempDir } from '../drivers/memory/helpers.js';
import { loopbackServers, pourUntilClosed } from '../helpers/loopback-http.js';

const param = readonlyParam as { -readonly [K in keyof typeof readonlyParam]: (typeof readonlyParam)[K] };
const MAX = 64 * 1024;
const saved = param.memoryReplyMaxBytes;
const { serve } = loopbackServers();
const closers: Array<() => Promise<void>> = [];

beforeEach(() => {
  param.memoryReplyMaxBytes = MAX;
});
afterEach(async () => {
  param.memoryReplyMaxBytes = saved;
  for (const close of closers.splice(0).reverse()) await close();
});

/** Answers every request 200 with a JSON start, then pours until the client goes; `sent` resolves each answer's bytes. */
function flooding(sent: number[]): http.RequestListener {
  return (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":"');
    pourUntilClosed(res, Buffer.alloc(16_384, 'a'), 400 * MAX, (bytes) => sent.push(bytes));
  };
}

/** `handler` on a unix socket in a temp dir; its address as the kernel names its own server's. */
async function onSocket(handler: http.RequestListener): Promise<{ address: string; socketPath: string }> {
  const dir = await tempDir('aos-chroma-flood-');
  const socketPath = path.join(dir, 'chroma.sock');
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return { address: unixSocketAddress(socketPath), socketPath };
}

function storeAt(address: string, opTimeoutMs?: number): MemoryStore {
  const store = new MemoryStore({
    endpoint: new ExternalChroma(address),
    embedder: new LocalEmbedder(),
    ...(opTimeoutMs === undefined ? {} : { opTimeoutMs }),
  });
  closers.push(() => store.close());
  return store;
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => null,
    (error: unknown) => error,
  );
}

describe('a Chroma answer past param.memoryReplyMaxBytes', () => {
  it.each([
    ['CHROMA_URL over TCP', async (handler: http.RequestListener) => serve(handler)],
    [
      'the kernel’s own server’s unix socket',
      async (handler: http.RequestListener) => (await onSocket(handler)).address,
    ],
  ])('is cut off through %s: the operation fails EIO, saying why', async (_, at) => {
    const sent: number[] = [];
    const store = storeAt(await at(flooding(sent)));
    const reads = (): Promise<unknown> => store.read('aos-shared', { query: 'deploys', k: 3 });
    const writes = (): Promise<unknown> => store.write('aos-shared', [{ text: 'x' }]);
    for (const work of [reads, writes]) {
      const error = await failure(work());
      expect(error).toBeInstanceOf(AosError);
      expect(error).toMatchObject({ code: 'EIO' });
      expect((error as Error).message).toContain(
        "memory store error: Chroma's answer: the reply passed 65536 bytes (param.memoryReplyMaxBytes)",
      );
    }
    await expect.poll(() => sent.length).toBeGreaterThanOrEqual(2);
    // Each cut soon after the bound, not read to the server's end (400 times the bound).
    for (const bytes of sent) expect(bytes).toBeLessThan(100 * MAX);
  });
});

describe('cappedDispatcher under fetch', () => {
  const exactly =
    (bytes: number): http.RequestListener =>
    (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(bytes, 7));
    };

  it.each([
    ['node’s own dispatcher', async (h: http.RequestListener) => ({ url: await serve(h), inner: nodeDispatcher })],
    [
      'the unix-socket dispatcher',
      async (h: http.RequestListener) => {
        const unix = new UnixSocketDispatcher((await onSocket(h)).socketPath);
        closers.push(() => unix.close());
        return { url: 'http://localhost/', inner: () => unix };
      },
    ],
  ])('through %s: exactly the bound is read whole, one byte more is cut', async (_, open) => {
    const whole = await open(exactly(MAX));
    const capped = (inner: typeof whole.inner): RequestInit =>
      ({ dispatcher: cappedDispatcher(inner, { max: MAX, setting: 'the test’s bound' }) }) as RequestInit;
    const body = await (await fetch(whole.url, capped(whole.inner))).arrayBuffer();
    expect(body.byteLength).toBe(MAX);

    const over = await open(exactly(MAX + 1));
    const error = await failure((await fetch(over.url, capped(over.inner))).arrayBuffer());
    expect(isReplyTooLarge(error)).toBe(true);
  });

  it('tells onCut once, however many chunks arrive after the bound', async () => {
    const sent: number[] = [];
    const url = await serve(flooding(sent));
    const cuts: Error[] = [];
    const dispatcher = cappedDispatcher(nodeDispatcher, { max: MAX, onCut: (e) => cuts.push(e) });
    const error = await failure((await fetch(url, { dispatcher } as RequestInit)).text());
    expect(isReplyTooLarge(error)).toBe(true);
    expect(cuts).toHaveLength(1);
    await expect.poll(() => sent.length).toBe(1);
  });
});

describe('a compressed Chroma answer', () => {
  // A kilobyte of gzip on the wire that fetch would decode to 64 MiB: below fetch it is still a kilobyte.
  const bomb = gzipSync(Buffer.alloc(64 * MAX, 'a'));
  const compressing =
    (asked: Array<string | undefined>): http.RequestListener =>
    (req, res) => {
      asked.push(req.headers['accept-encoding']);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    };

  it.each([
    ['CHROMA_URL over TCP', async (handler: http.RequestListener) => serve(handler)],
    [
      'the kernel’s own server’s unix socket',
      async (handler: http.RequestListener) => (await onSocket(handler)).address,
    ],
  ])('is refused through %s before it is decoded: none was asked for', async (_, at) => {
    expect(bomb.length).toBeLessThan(MAX / 8);
    const asked: Array<string | undefined> = [];
    const store = storeAt(await at(compressing(asked)));
    const error = await failure(store.read('aos-shared', { query: 'deploys', k: 3 }));
    expect(error).toBeInstanceOf(AosError);
    expect(error).toMatchObject({ code: 'EIO' });
    expect((error as Error).message).toContain(
      'the answer came encoded (content-encoding: gzip) though none was asked for',
    );
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((a) => a === 'identity')).toBe(true);
  });

  it('an answer that says identity is read as it is', async () => {
    const url = await serve((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'identity' });
      res.end('{"ok":true}');
    });
    const dispatcher = cappedDispatcher(nodeDispatcher, { max: MAX });
    expect(await (await fetch(url, { dispatcher } as RequestInit)).json()).toEqual({ ok: true });
  });
});

describe('a broken or silent Chroma answer', () => {
  /** A raw server on a unix socket: each connection gets `answer` as it is. */
  async function rawOnSocket(answer: string): Promise<string> {
    const dir = await tempDir('aos-chroma-raw-');
    const socketPath = path.join(dir, 'chroma.sock');
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.write(answer));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    closers.push(async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    });
    return unixSocketAddress(socketPath);
  }

  it.each([
    ['a bad chunk size right after the start', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nab\r\n'],
    ['stray bytes after a whole body', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}XX\r\n\r\n'],
  ])('%s on the unix socket fails the read at once', async (_, answer) => {
    // Node's parser fails in the turn the answer's start came: Node 20's fetch lost such an error and its reader waited for good.
    const unix = new UnixSocketDispatcher(chromaTarget(await rawOnSocket(answer)).socketPath as string);
    closers.push(() => unix.close());
    const dispatcher = cappedDispatcher(() => unix, { max: MAX });
    const read = fetch('http://localhost/', { dispatcher } as RequestInit).then((r) => r.arrayBuffer());
    const settled = await Promise.race([
      failure(read),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000)),
    ]);
    expect(settled).toBeInstanceOf(Error);
  });

  it('an opening that never answers does not hold its namespace: the next operation asks again', async () => {
    const asked: string[] = [];
    const url = await serve((req) => {
      asked.push(`${req.method ?? ''} ${req.url ?? ''}`);
      req.resume();
    });
    const store = storeAt(url, 300);
    for (let i = 0; i < 2; i++) {
      const error = await failure(store.read('aos-shared', { query: 'deploys', k: 3 }));
      expect(error).toMatchObject({ code: 'ETIMEDOUT' });
    }
    // One request an operation: the second did not wait behind the first's opening.
    expect(asked).toHaveLength(2);
  });
});

describe('the Chroma heartbeat', () => {
  it.each([
    ['over TCP', async (handler: http.RequestListener) => serve(handler)],
    ['on a unix socket', async (handler: http.RequestListener) => (await onSocket(handler)).address],
  ])('reads the status %s and lets an endless body go', async (_, at) => {
    const sent: number[] = [];
    const address = await at(flooding(sent));
    expect(await heartbeat(address, 5_000)).toBe(true);
    // The connection is closed by the probe: the server's pour ends.
    await expect.poll(() => sent.length).toBe(1);
  });

  it('is false for a status other than 200', async () => {
    const url = await serve((req, res) => {
      req.resume();
      res.writeHead(503);
      res.end('starting');
    });
    expect(await heartbeat(url, 5_000)).toBe(false);
  });
});

describe('a Chroma answer that does not end in time', () => {
  /** Answers 200 with a JSON start, then one byte every 20 ms for as long as the client stays; `closed` counts ended connections. */
  function trickling(closed: { count: number }): http.RequestListener {
    return (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"');
      const drip = setInterval(() => res.write('a'), 20);
      res.on('close', () => {
        clearInterval(drip);
        closed.count += 1;
      });
    };
  }
  /** Never answers; `closed` counts the connections the client ended. */
  function silent(closed: { count: number }): http.RequestListener {
    return (req, res) => {
      req.resume();
      res.on('close', () => (closed.count += 1));
    };
  }
  const where = [
    ['CHROMA_URL over TCP', async (handler: http.RequestListener) => serve(handler)],
    [
      'the kernel’s own server’s unix socket',
      async (handler: http.RequestListener) => (await onSocket(handler)).address,
    ],
  ] as const;

  it.each(where)(
    'is ended with its operation at the time limit through %s: its connection does not outlive it',
    async (_, at) => {
      for (const server of [trickling, silent]) {
        const closed = { count: 0 };
        const store = storeAt(await at(server(closed)), 300);
        const error = await failure(store.read('aos-shared', { query: 'deploys', k: 3 }));
        expect(error).toMatchObject({ code: 'ETIMEDOUT' });
        // The request under the operation is aborted, not left to drip (or wait) until the server stops.
        await expect.poll(() => closed.count, { timeout: 3_000 }).toBe(1);
      }
    },
  );

  it('is ended when its process is killed: the kill aborts the request under the operation', async () => {
    const closed = { count: 0 };
    const store = storeAt(await serve(trickling(closed)), 60_000);
    const kill = new AbortController();
    const read = failure(store.read('aos-shared', { query: 'deploys', k: 3 }, kill.signal));
    await new Promise((resolve) => setTimeout(resolve, 200));
    kill.abort(new AosError('EINTR', 'interrupted: the process is being killed'));
    expect(await read).toMatchObject({ code: 'EINTR' });
    await expect.poll(() => closed.count, { timeout: 3_000 }).toBe(1);
  });

  it('is cut by the dispatcher’s own time bound outside an operation, saying where it is set', async () => {
    const closed = { count: 0 };
    const url = await serve(trickling(closed));
    const dispatcher = cappedDispatcher(nodeDispatcher, { max: MAX }, { maxMs: 300, timeSetting: 'the test’s time' });
    const started = Date.now();
    const error = await failure((await fetch(url, { dispatcher } as RequestInit)).text());
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(Error);
    expect(replyCut(error)).toBeNull();
    expect(String((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message)).toContain(
      'the answer took longer than 0.3 s (the test’s time)',
    );
    await expect.poll(() => closed.count, { timeout: 3_000 }).toBe(1);
  });
});

describe('a Chroma request that fails before its answer', () => {
  it.each([
    ['CHROMA_URL over TCP', async (handler: http.RequestListener) => serve(handler)],
    [
      'the kernel’s own server’s unix socket',
      async (handler: http.RequestListener) => (await onSocket(handler)).address,
    ],
  ])('through %s names why, where the client says only that it failed to connect', async (_, at) => {
    // Alive to the heartbeat (so the store retries after recovery), every other request's connection dropped.
    const store = storeAt(
      await at((req, res) => {
        req.resume();
        if (req.url?.includes('heartbeat')) res.end('{"nanosecond heartbeat":1}');
        else req.socket.destroy();
      }),
    );
    const error = await failure(store.read('aos-shared', { query: 'deploys', k: 3 }));
    expect(error).toMatchObject({ code: 'EIO' });
    expect((error as Error).message).toMatch(
      /^memory is unavailable: cannot reach Chroma at .+: (other side closed|socket hang up)$/,
    );
  });
});
