/** The gateway's MCP endpoint in front of a real kernel server: the token, sessions, and room made by closing idle ones. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelClient } from '../../client/client.js';
import { McpHttpEndpoint } from '../../daemon/mcp-http.js';
import { startServer, type ServerFixture } from '../helpers/server-fixture.js';
import { until } from '../helpers/until.js';

const TOKEN = 'a-test-token-of-enough-length';
let fixture: ServerFixture | undefined;
let web: http.Server | undefined;
let endpoint: McpHttpEndpoint | undefined;
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  await endpoint?.close();
  await new Promise((resolve) => (web ? web.close(resolve) : resolve(undefined)));
  await fixture?.close();
  fixture = web = endpoint = undefined;
});

async function serve(options: { maxSessions: number; sessionIdleMs: number }): Promise<string> {
  fixture = await startServer({ root: ['[SYS_CALL::SYS_EXIT] {}'] });
  const paths = fixture.paths;
  const mcp = new McpHttpEndpoint({
    token: TOKEN,
    connect: () => KernelClient.connect(paths),
    maxBodyBytes: 1024 * 1024,
    ...options,
  });
  endpoint = mcp;
  const server = http.createServer((req, res) => {
    if (!mcp.handle(req, res)) res.writeHead(404).end();
  });
  web = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

async function connect(url: string, token = TOKEN): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  clients.push(client);
  return client;
}

describe('MCP over HTTP', () => {
  it('refuses a wrong token and serves the right one', async () => {
    const url = await serve({ maxSessions: 4, sessionIdleMs: 60_000 });
    await expect(connect(url, 'wrong-token-of-enough-length')).rejects.toThrow(/401|token/);
    const client = await connect(url);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('spawn');
  });

  it('refuses every other spelling of the token before anything is read or loaded, and a known session id is no way round it', async () => {
    const url = await serve({ maxSessions: 4, sessionIdleMs: 60_000 });
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    const post = (target: string, headers: Record<string, string>): Promise<number> =>
      fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: initialize,
      }).then(async (r) => (await r.arrayBuffer(), r.status));
    const spellings: Array<Record<string, string>> = [
      {},
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.toUpperCase()}` },
      { authorization: `Bearer ${encodeURIComponent(TOKEN).replace(/-/g, '%2D')}` },
      { authorization: `Bearer ${TOKEN} ${TOKEN}` },
      { authorization: `Bearer ${Buffer.from(TOKEN).toString('base64')}` },
      { 'x-authorization': `Bearer ${TOKEN}` },
    ];
    for (const headers of spellings) expect(await post(url, headers), JSON.stringify(headers)).toBe(401);
    // The endpoint's other spellings are not it (the gateway's 404), and `?query` does not get past the token.
    for (const other of ['/MCP', '/mcp/', '//mcp', '/mcp/../mcp', '/%6dcp'])
      expect(await post(url.replace(/\/mcp$/, other), {}), other).not.toBe(200);
    expect(await post(`${url}?token=${TOKEN}`, {})).toBe(401);
    // A session made with the token, then used without it: refused.
    const client = await connect(url);
    await client.listTools();
    const sessionId = (client.transport as StreamableHTTPClientTransport | undefined)?.sessionId;
    expect(sessionId).toBeTruthy();
    expect(await post(url, { 'mcp-session-id': sessionId as string })).toBe(401);
    expect(
      await post(url, { 'mcp-session-id': sessionId as string, authorization: 'Bearer wrong-token-of-enough-length' }),
    ).toBe(401);
  });

  it('a client gone without ending its session leaves room once idle; a live one keeps its place (503)', async () => {
    const url = await serve({ maxSessions: 1, sessionIdleMs: 0 });
    const firstTransport = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    });
    const first = new Client({ name: 'gone', version: '1' });
    await first.connect(firstTransport);
    await first.listTools();
    const oldSession = firstTransport.sessionId;
    // While the first client holds its event stream, it is not idle: no room.
    await expect(connect(url)).rejects.toThrow(/too many MCP sessions/);
    // It hangs up without a DELETE (as clients often do): its session is closed for the next one.
    await first.close();
    let second: Client | undefined;
    await until(
      async () => {
        second = await connect(url).catch(() => undefined);
        return second !== undefined;
      },
      10_000,
      'room for a new session',
    );
    if (!second) throw new Error('unreachable');
    expect((await second.listTools()).tools.length).toBeGreaterThan(0);
    const stale = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': oldSession ?? '',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(stale.status).toBe(404);
  });

  it('refuses an argument too big for the kernel with a clear error, and the session goes on (issue 27.8)', async () => {
    const url = await serve({ maxSessions: 4, sessionIdleMs: 60_000 });
    const client = await connect(url);
    // Under the HTTP body limit, over what one kernel request may carry: it used to cost the session its kernel connection.
    const big = await client.callTool({
      name: 'spawn',
      arguments: { task: 'x'.repeat(1024 * 1024 + 10), model: fixture!.model },
    });
    expect(big.isError).toBe(true);
    expect(JSON.stringify(big.content)).toMatch(/over the kernel's limit of 1048576 bytes/);
    const ps = await client.callTool({ name: 'ps', arguments: {} });
    expect(ps.isError ?? false).toBe(false);
    const spawned = await client.callTool({ name: 'spawn', arguments: { task: 'small', model: fixture!.model } });
    expect(spawned.isError ?? false).toBe(false);
  });
});
