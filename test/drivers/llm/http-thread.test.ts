import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { POOL_OPTIONS } from '../../../drivers/llm/http-post.js';
import { HttpThread, revive } from '../../../drivers/llm/http-thread.js';
import { fromTransportError } from '../../../drivers/llm/transport-error.js';
import { loopbackServers } from '../../helpers/loopback-http.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { serve, started: servers } = loopbackServers();
const threads: HttpThread[] = [];

afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.close()));
});

function thread(): HttpThread {
  const t = new HttpThread(POOL_OPTIONS);
  threads.push(t);
  return t;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('HttpThread: whole replies read on a thread of their own', () => {
  it('resolves with the status, the headers and the body (a character split across chunks kept whole); says once when the answer began', async () => {
    let seen = '';
    const url = await serve((req, res) => {
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (seen += chunk));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '7' });
        const bytes = Buffer.from('{"text":"é✓"}');
        res.write(bytes.subarray(0, 10));
        setTimeout(() => res.end(bytes.subarray(10)), 5);
      });
    });
    const said: string[] = [];
    const progress = { began: () => said.push('began'), data: () => said.push('data') };
    const t = thread();
    const reply = await t.request(
      'POST',
      `${url}/v1/chat/completions?x=1`,
      JSON_HEADERS,
      '{"a":"ü"}',
      new AbortController().signal,
      progress,
    );
    expect(reply).toEqual({
      status: 201,
      headers: expect.objectContaining({ 'x-ratelimit-remaining-requests': '7' }),
      bodyText: '{"text":"é✓"}',
    });
    expect(seen).toBe('{"a":"ü"}');
    expect(said).toEqual(['began']);
    expect(t.inFlight).toBe(0);
  });

  it('sends a Buffer body and a GET without one', async () => {
    const got: string[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        got.push(`${req.method} ${req.url} ${body}`);
        res.end('ok');
      });
    });
    const t = thread();
    const signal = new AbortController().signal;
    expect((await t.request('POST', `${url}/p`, {}, Buffer.from('bytes'), signal)).bodyText).toBe('ok');
    expect((await t.request('GET', `${url}/models`, {}, null, signal)).status).toBe(200);
    expect(got).toEqual(['POST /p bytes', 'GET /models ']);
  });

  it('gives each of many requests in flight at once its own reply (batches never cross them)', async () => {
    const url = await serve((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      // Replies in an order of their own: the last to arrive is answered first.
      req.on('end', () => setTimeout(() => res.end(`echo ${body}`), 200 - Number(body)));
    });
    const t = thread();
    const signal = new AbortController().signal;
    const n = 150;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => t.request('POST', `${url}/e`, {}, String(i), signal)),
    );
    expect(replies.map((r) => r.bodyText)).toEqual(Array.from({ length: n }, (_, i) => `echo ${i}`));
    expect(t.inFlight).toBe(0);
  });

  it('rejects with the signal’s reason when aborted while the answer is awaited, and the request is dropped', async () => {
    let closed!: () => void;
    let arrived!: () => void;
    const requestClosed = new Promise<void>((resolve) => (closed = resolve));
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const url = await serve((req) => {
      req.socket.on('close', closed);
      arrived();
    });
    const t = thread();
    const controller = new AbortController();
    const pending = t.request('POST', `${url}/slow`, {}, '{}', controller.signal);
    await requestArrived;
    const reason = new Error('stop now');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(t.inFlight).toBe(0);
    await requestClosed;
  });

  it('rejects at once, sending nothing, when the signal has already aborted or aborts before the request went', async () => {
    let requests = 0;
    const url = await serve((_req, res) => {
      requests++;
      res.end('ok');
    });
    const t = thread();
    const before = new AbortController();
    before.abort(new Error('already'));
    await expect(t.request('POST', `${url}/x`, {}, '{}', before.signal)).rejects.toThrow('already');
    // Aborted in the same turn of the loop: the batch it was in has not gone yet.
    const soon = new AbortController();
    const pending = t.request('POST', `${url}/x`, {}, '{}', soon.signal);
    soon.abort(new Error('changed my mind'));
    await expect(pending).rejects.toThrow('changed my mind');
    // A request after them still goes, and was the only one the server saw.
    expect((await t.request('POST', `${url}/x`, {}, '{}', new AbortController().signal)).bodyText).toBe('ok');
    expect(requests).toBe(1);
  });

  it('rejects with the transport error, its code and address intact, so the driver says what failed', async () => {
    const url = await serve(() => undefined);
    const port = Number(new URL(url).port);
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
    const t = thread();
    const error = await t.request('POST', `${url}/x`, {}, '{}', new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const failure = fromTransportError('openai:m', error);
    expect(failure?.message).toContain('refused the connection (ECONNREFUSED)');
    expect(failure?.message).toContain(`127.0.0.1:${port}`);
    expect(failure?.retryable).toBe(false);
  });

  it('fails a request it cannot make (a bad address, a header with a line break) alone: the thread and the requests beside it go on', async () => {
    const url = await serve((_req, res) => setTimeout(() => res.end('beside'), 100));
    const t = thread();
    const signal = new AbortController().signal;
    const beside = t.request('POST', `${url}/ok`, {}, '{}', signal);
    const unparsable = await t.request('POST', 'not a url', {}, '{}', signal).catch((e: unknown) => e);
    expect(unparsable).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_URL' });
    expect(unparsable).toBeInstanceOf(TypeError);
    const header = await t
      .request('POST', `${url}/x`, { authorization: 'Bearer key\n' }, '{}', signal)
      .catch((e: unknown) => e);
    expect(header).toMatchObject({ code: 'UND_ERR_INVALID_ARG' });
    expect((await beside).bodyText).toBe('beside');
  });

  it('ready(): resolves once the thread is up with its client loaded, and when it stopped before that', async () => {
    const t = thread();
    await t.ready();
    const signal = new AbortController().signal;
    expect(t.inFlight).toBe(0);
    const stopped = thread();
    const booting = stopped.ready();
    await stopped.close();
    await booting;
    const url = await serve((_req, res) => res.end('up'));
    expect((await t.request('GET', url, {}, null, signal)).bodyText).toBe('up');
  });

  it('fails what a thread that stopped held as a connection reset, and starts another for the next request', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/hang') return;
      res.end('again');
    });
    const t = thread();
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    servers[0]?.on('request', () => arrived());
    const pending = t.request('POST', `${url}/hang`, {}, '{}', new AbortController().signal);
    await requestArrived;
    expect(t.inFlight).toBe(1);
    await t.close();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ECONNRESET',
      message: expect.stringContaining("HTTP client's thread stopped"),
    });
    expect(fromTransportError('openai:m', error)?.retryable).toBe(true);
    expect((await t.request('POST', `${url}/ok`, {}, '{}', new AbortController().signal)).bodyText).toBe('again');
  });

  it('holds the program open while a request is in flight, and not once none is (nor when started idle)', () => {
    // A child that asks once and then has nothing left to do must exit by itself (the thread is
    // unref'd when idle), after its reply came (the thread is ref'd while a request is out).
    const code = `
import http from 'node:http';
const { HttpThread } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'drivers/llm/http-thread.ts')).href)});
// A thread started before the first request holds nothing open either.
void new HttpThread({}).ready();
const server = http.createServer((req, res) => setTimeout(() => res.end('late'), 300));
server.listen(0, '127.0.0.1', () => {
  const url = 'http://127.0.0.1:' + server.address().port + '/x';
  server.unref();
  new HttpThread({}).request('POST', url, {}, '{}', new AbortController().signal).then((r) => {
    console.log('reply ' + r.bodyText);
    server.close();
  });
});`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('reply late\n');
    expect(run.status).toBe(0);
  });
});

describe('revive', () => {
  it('makes the thread’s plain error an Error again: its class, fields, causes and an AggregateError’s errors', () => {
    const error = revive({
      name: 'TypeError',
      message: 'fetch failed',
      stack: 'TypeError: fetch failed\n    at somewhere',
      cause: {
        name: 'AggregateError',
        message: '',
        stack: '',
        errors: [{ name: 'Error', message: 'refused', stack: '', code: 'ECONNREFUSED', address: '::1', port: 9 }],
      },
    });
    expect(error).toBeInstanceOf(TypeError);
    expect(error.stack).toContain('at somewhere');
    const cause = error.cause as AggregateError;
    expect(cause).toBeInstanceOf(AggregateError);
    expect(cause.errors[0]).toMatchObject({ message: 'refused', code: 'ECONNREFUSED', address: '::1', port: 9 });
    expect(fromTransportError('openai:m', error)?.message).toContain('[::1]:9 refused the connection');
  });
});
