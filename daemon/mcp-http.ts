/**
 * aos over Streamable HTTP at `/mcp` on the daemon's loopback gateway: a bearer token from
 * $AOS_HOME guards it, and each MCP session is its own protocol client of the daemon.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { KernelClient } from '../client/client.js';
import type { AosMcpServer } from '../client/mcp/aos-server.js';
import { bearerMatches } from '../client/mcp/token.js';

export const MCP_PATH = '/mcp';

/**
 * The MCP SDK's server side (its transport, schemas and aos's server over them: ~250 ms of the
 * daemon's start on the 2-core machine), loaded by the first request to the endpoint, not by every start.
 */
let loading: Promise<Sdk> | undefined;
interface Sdk {
  StreamableHTTPServerTransport: typeof StreamableHTTPServerTransport;
  isInitializeRequest: typeof import('@modelcontextprotocol/sdk/types.js').isInitializeRequest;
  createAosMcpServer: typeof import('../client/mcp/aos-server.js').createAosMcpServer;
}
const sdk = (): Promise<Sdk> =>
  (loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('../client/mcp/aos-server.js'),
  ]).then(([http, types, aos]) => ({
    StreamableHTTPServerTransport: http.StreamableHTTPServerTransport,
    isInitializeRequest: types.isInitializeRequest,
    createAosMcpServer: aos.createAosMcpServer,
  })));

export interface McpHttpOptions {
  token: string;
  /** A fresh connection to the daemon for each session. */
  connect(): Promise<KernelClient>;
  maxBodyBytes: number;
  maxSessions: number;
  /** A session with no request for this long is closed when a new one needs room. */
  sessionIdleMs: number;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  aos: AosMcpServer;
  client: KernelClient;
  /** Requests open now (an SSE stream stays open). */
  open: number;
  lastUsed: number;
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Error(`the request body is over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

export class McpHttpEndpoint {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: McpHttpOptions) {}

  /** Whether the request was for the MCP endpoint (then it is answered here). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if ((req.url ?? '').split('?')[0] !== MCP_PATH) return false;
    this.serve(req, res).catch((error: unknown) =>
      reply(res, 500, error instanceof Error ? error.message : String(error)),
    );
    return true;
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.transport.close().catch(() => undefined)));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!bearerMatches(req.headers.authorization, this.options.token)) {
      return reply(res, 401, 'missing or wrong bearer token (see $AOS_HOME/mcp.token)', {
        'www-authenticate': 'Bearer',
      });
    }
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = this.sessions.get(id);
      if (!session) return reply(res, 404, 'no such MCP session (the kernel may have restarted): initialize again');
      return this.track(session, res, () => session.transport.handleRequest(req, res));
    }
    if (req.method !== 'POST') return reply(res, 400, 'no MCP session: start one with an initialize request');
    const body = await readJson(req, this.options.maxBodyBytes).catch(() => undefined);
    const { isInitializeRequest } = await sdk();
    if (!isInitializeRequest(body)) return reply(res, 400, 'no MCP session: start one with an initialize request');
    await this.evictIdle();
    if (this.sessions.size >= this.options.maxSessions) return reply(res, 503, 'too many MCP sessions');
    const session = await this.open();
    await this.track(session, res, () => session.transport.handleRequest(req, res, body));
  }

  private async track(session: Session, res: ServerResponse, work: () => Promise<void>): Promise<void> {
    session.open++;
    session.lastUsed = Date.now();
    res.once('close', () => {
      session.open--;
      session.lastUsed = Date.now();
    });
    await work();
  }

  /** Clients often vanish without ending their session (no DELETE): idle ones make room. */
  private async evictIdle(): Promise<void> {
    const cutoff = Date.now() - this.options.sessionIdleMs;
    const idle = [...this.sessions.entries()].filter(([, s]) => s.open === 0 && s.lastUsed < cutoff);
    for (const [id] of idle) this.sessions.delete(id);
    await Promise.all(idle.map(([, s]) => s.transport.close().catch(() => undefined)));
  }

  private async open(): Promise<Session> {
    const { StreamableHTTPServerTransport, createAosMcpServer } = await sdk();
    const client = await this.options.connect();
    const aos = createAosMcpServer(client);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        this.sessions.set(sid, session);
      },
    });
    const session: Session = { transport, aos, client, open: 0, lastUsed: Date.now() };
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
      aos.close();
      client.close();
    };
    await aos.server.connect(transport);
    return session;
  }
}
