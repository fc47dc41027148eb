import http from 'node:http';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { POOL_OPTIONS, postJson, probe } from '../../../drivers/llm/http-post.js';
import { requestWhole } from '../../../drivers/llm/http-whole.js';
import { loopbackServers } from '../../helpers/loopback-http.js';

const { serve, started: servers } = loopbackServers();
const agents: Agent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.destroy()));
});

function pool(): Agent {
  const agent = new Agent(POOL_OPTIONS);
  agents.push(agent);
  return agent;
}

describe('requestWhole', () => {
  it('resolves with the status, the headers and the body, a character split across chunks kept whole', async () => {
    let seen = '';
    const url = await serve((req, res) => {
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (seen += chunk));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '7' });
        const bytes = Buffer.from('{"text":"é✓"}');
        // "é" is two bytes: the first chunk ends in its middle.
        res.write(bytes.subarray(0, 10));
        setTimeout(() => res.end(bytes.subarray(10)), 5);
      });
    });
    const began: string[] = [];
    const reply = await requestWhole(
      pool(),
      'POST',
      `${url}/v1/chat/completions?x=1`,
      { 'content-type': 'application/json' },
      '{"a":1}',
      new AbortController().signal,
      { began: () => began.push('began'), data: () => began.push('data') },
    );
    expect(reply.status).toBe(201);
    expect(reply.headers['x-ratelimit-remaining-requests']).toBe('7');
    expect(reply.bodyText).toBe('{"text":"é✓"}');
    expect(seen).toBe('{"a":1}');
    expect(began).toEqual(['began']);
  });

  it('rejects with the signal’s reason when aborted while the answer is awaited, and the request goes', async () => {
    let arrived!: () => void;
    const there = new Promise<void>((resolve) => (arrived = resolve));
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    const url = await serve((req) => {
      req.on('close', closed);
      arrived();
    });
    const controller = new AbortController();
    const reason = new Error('killed');
    const pending = requestWhole(pool(), 'POST', url, {}, '{}', controller.signal);
    await there;
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await gone;
  });

  it('rejects at once, sending nothing, when the signal has already aborted', async () => {
    let requests = 0;
    const url = await serve((_req, res) => (requests++, res.end()));
    const controller = new AbortController();
    controller.abort(new Error('before'));
    await expect(requestWhole(pool(), 'GET', url, {}, null, controller.signal)).rejects.toThrow('before');
    expect(requests).toBe(0);
  });

  it('rejects with the transport error when nothing listens', async () => {
    const url = await serve(() => {});
    const server = servers.pop() as http.Server;
    await new Promise((resolve) => server.close(resolve));
    await expect(requestWhole(pool(), 'GET', url, {}, null, new AbortController().signal)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});

describe('the shared pool', () => {
  it('opens a connection for every request in flight: 60 slow replies wait on none of the others', async () => {
    const n = 60;
    const held: http.ServerResponse[] = [];
    const sockets = new Set<unknown>();
    const url = await serve((req, res) => {
      sockets.add(req.socket);
      held.push(res);
      // Every reply waits until all the requests have arrived: a pool that queued any would never get there.
      if (held.length === n) for (const r of held) r.end('{}');
    });
    const signal = new AbortController().signal;
    const replies = await Promise.all(Array.from({ length: n }, () => postJson(`${url}/x`, {}, '{}', signal)));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(sockets.size).toBe(n);
  });

  it('keeps its connections alive between requests, and probes with a GET', async () => {
    const sockets = new Set<unknown>();
    const methods: string[] = [];
    const url = await serve((req, res) => {
      sockets.add(req.socket);
      methods.push(req.method ?? '');
      res.end('ok');
    });
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) expect((await postJson(`${url}/x`, {}, '{}', signal)).bodyText).toBe('ok');
    expect(await probe(`${url}/models`, {}, signal)).toBe(200);
    expect(sockets.size).toBe(1);
    expect(methods).toEqual(['POST', 'POST', 'POST', 'GET']);
  });
});
