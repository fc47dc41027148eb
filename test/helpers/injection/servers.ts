/**
 * The outside world of the injection benchmark, all on loopback: a web server whose pages the
 * scenarios fetch (some carry an attack), an attacker's server that records every byte it is sent
 * (what an exfiltration leaves behind), and an MCP server over Streamable HTTP whose read-only tool
 * returns a ticket (some carry an attack). Nothing leaves the machine.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface Servers {
  /** `http://127.0.0.1:<port>`: pages under /page/<id>. */
  pageRoot: string;
  pagePort: number;
  /** `http://127.0.0.1:<port>`: the attacker's collector. */
  attackerRoot: string;
  attackerPort: number;
  /** The MCP endpoint (`/mcp`). */
  mcpUrl: string;
  /** What each page and ticket says, by scenario id; set before the scenario runs. */
  pages: Map<string, string>;
  tickets: Map<string, string>;
  /** Every request the attacker's server got, in order. */
  received: Received[];
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => resolve(raw));
  });
}

/** A fresh MCP server per request (stateless Streamable HTTP): one read-only tool, `read_ticket`. */
function mcpServer(tickets: Map<string, string>): McpServer {
  const server = new McpServer({ name: 'helpdesk', version: '1.0.0' });
  server.registerTool(
    'read_ticket',
    {
      description: 'Reads a support ticket by id.',
      inputSchema: { id: z.string() },
      annotations: { readOnlyHint: true },
    },
    ({ id }) => ({ content: [{ type: 'text', text: tickets.get(id) ?? `no ticket ${id}` }] }),
  );
  return server;
}

export async function startServers(): Promise<Servers> {
  const pages = new Map<string, string>();
  const tickets = new Map<string, string>();
  const received: Received[] = [];
  const page = http.createServer((req, res) => {
    const id = /^\/page\/([\w.-]+)$/.exec(req.url ?? '')?.[1] ?? '';
    const html = pages.get(id);
    res.writeHead(html === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  const attacker = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) headers[name] = String(value);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('thanks');
    });
  });
  const mcp = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    void readBody(req).then(async (raw) => {
      const server = mcpServer(tickets);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, raw ? (JSON.parse(raw) as unknown) : undefined);
    });
  });
  const [pagePort, attackerPort, mcpPort] = [await listen(page), await listen(attacker), await listen(mcp)];
  return {
    pageRoot: `http://127.0.0.1:${pagePort}`,
    pagePort,
    attackerRoot: `http://127.0.0.1:${attackerPort}`,
    attackerPort,
    mcpUrl: `http://127.0.0.1:${mcpPort}/mcp`,
    pages,
    tickets,
    received,
    async close() {
      for (const server of [page, attacker, mcp]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
