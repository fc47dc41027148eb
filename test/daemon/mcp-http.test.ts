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
