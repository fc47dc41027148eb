/**
 * A remote (Streamable HTTP) MCP server is someone else's: its answers are bounded as a stdio
 * server's lines are (param.mcpMaxMessageBytes). One that answers a tool call without end — a JSON
 * body that never closes, or an event whose line never ends — is cut off and the call fails;
 * before the bound the SDK read it into the kernel's memory until the call's time limit.
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { ServerDriver } from '../../drivers/mcp/server-driver.js';
import type { McpLimits } from '../../drivers/mcp/types.js';
import { TEST_LIMITS } from '../drivers/mcp/servers.js';
import { loopbackServers, pourUntilClosed } from '../helpers/loopback-http.js';

const MAX = 64 * 1024;
const LIMITS: McpLimits = { ...TEST_LIMITS, maxMessageBytes: MAX };
const { serve } = loopbackServers();

type Flood =
  | 'json'
  | 'json-named-stream'
  | 'error-events'
  | 'event-line'
  | 'event-lines'
  | 'event-lines-crlf'
  | 'event-lines-upper'
  | 'none';

/** The content type each flood says it is: what the SDK reads it as is its media type, parameters aside. */
const TYPE: Record<Exclude<Flood, 'none'>, string> = {
  json: 'application/json',
  // JSON by its media type (the SDK reads it whole), with the stream's name in a parameter.
  'json-named-stream': 'application/json; profile="text/event-stream"',
  // An error status typed as a stream: the SDK reads an error's body whole (its text), whatever its type.
  'error-events': 'text/event-stream',
  'event-line': 'text/event-stream',
  'event-lines': 'text/event-stream',
  'event-lines-crlf': 'text/event-stream',
  'event-lines-upper': 'Text/Event-Stream; charset=utf-8',
};

/** An MCP server by hand: initialize and tools/list as the protocol has them; its first tools/call answered as `flood` says, the rest small. */
function hostile(flood: Flood): { url: Promise<string>; sent: Promise<number> } {
  let calls = 0;
  let done: (n: number) => void = () => undefined;
  const sent = new Promise<number>((resolve) => (done = resolve));
  const url = serve((req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const message = JSON.parse(body) as { id?: number; method: string };
      const json = (result: unknown): void => {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
      };
      if (message.id === undefined) return void res.writeHead(202).end();
      if (message.method === 'initialize')
        return json({
          protocolVersion: '2025-03-26',
          capabilities: { tools: {} },
          serverInfo: { name: 'h', version: '1' },
        });
      if (message.method === 'tools/list')
        return json({ tools: [{ name: 'flood', description: 'd', inputSchema: { type: 'object' } }] });
      if (flood === 'none' || calls++ > 0) return json({ content: [{ type: 'text', text: 'small' }] });
      const events = flood.startsWith('event');
      res.writeHead(flood === 'error-events' ? 500 : 200, { 'content-type': TYPE[flood] });
      const head = `{"jsonrpc":"2.0","id":${message.id},"result":{"content":[{"type":"text","text":"`;
      res.write(events ? `event: message\ndata: ${head}` : head);
      // One endless line, or an event that never ends made of short `data:` lines (an SSE parser joins them);
      // JSON named a stream, and the error typed as one, have a blank line every kilobyte (where an event would end).
      const eol = flood === 'event-lines-crlf' ? '\r\n' : '\n';
      const lines = flood !== 'json' && flood !== 'event-line';
      const blank = flood === 'json-named-stream' || flood === 'error-events';
      const line = blank ? `${'z'.repeat(1000)}\n\n` : `${eol}data: ${'z'.repeat(1000)}`;
      const chunk = lines ? Buffer.from(line.repeat(16)) : Buffer.alloc(16_384, 'z');
      pourUntilClosed(res, chunk, 400 * MAX, done);
    });
  });
  return { url, sent };
}

async function driverFor(url: string): Promise<ServerDriver> {
  return new ServerDriver(
    'remote',
    { kind: 'http', url: `${url}/mcp`, headers: {} },
    { workspace: '/tmp', limits: LIMITS, clientInfo: { name: 'aos-test', version: '0' } },
  );
}

describe('a remote MCP server that answers without end', () => {
  it.each([
    ['a JSON answer that never closes', 'json'],
    ['an event whose line never ends', 'event-line'],
    ['an event that never ends, in short data: lines', 'event-lines'],
    ['the same with CRLF line ends', 'event-lines-crlf'],
    ['the same with its content type in other letters and a parameter', 'event-lines-upper'],
    ['a JSON answer with blank lines, its content type naming a stream in a parameter', 'json-named-stream'],
    ['an error status typed as a stream, with blank lines (the SDK reads an error whole)', 'error-events'],
  ] as const)('%s: cut off at param.mcpMaxMessageBytes, the call fails with EIO', async (_, flood) => {
    const { url, sent } = hostile(flood);
    const driver = await driverFor(await url);
    try {
      expect((await driver.tools()).map((t) => t.name)).toEqual(['flood']);
      await expect(driver.call('flood', {}, { timeoutMs: 20_000 })).rejects.toMatchObject({
        code: 'EIO',
        message: expect.stringContaining(`the reply passed ${MAX} bytes (param.mcpMaxMessageBytes)`),
      });
      expect(await sent).toBeLessThan(100 * MAX);
      // The next call opens another connection and is answered.
      expect(await driver.call('flood', {}, { timeoutMs: 10_000 })).toMatchObject({
        content: [{ type: 'text', text: 'small' }],
      });
    } finally {
      await driver.stop({ close: true });
    }
  });

  it('answers within the bound are read as before', async () => {
    const { url } = hostile('none');
    const driver = await driverFor(await url);
    try {
      expect(await driver.call('flood', {}, { timeoutMs: 10_000 })).toMatchObject({
        content: [{ type: 'text', text: 'small' }],
      });
    } finally {
      await driver.stop({ close: true });
    }
  });
});
