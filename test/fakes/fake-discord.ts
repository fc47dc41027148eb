/**
 * A fake Discord on loopback, for the Discord adapter's tests (issue 53): the REST API under
 * `/api/v10` — `GET /gateway/bot`, `GET /users/@me`, `POST /channels/{id}/messages` — and the
 * Gateway, a WebSocket server (`ws`) at `/gateway` speaking the subset a bot uses: HELLO, IDENTIFY
 * (a wrong token is close 4004) → READY with a `resume_gateway_url` (`/gateway-resume`),
 * heartbeats acknowledged, RESUME replaying the dispatches after the sequence it names → RESUMED
 * (an unknown session: INVALID_SESSION false). Every dispatch is kept per session so a resume can
 * replay it. It can set the heartbeat interval and stop acknowledging heartbeats (a zombie
 * connection). It can push a person's message, send a dispatch again, send any raw frame (forged
 * events), ask for a reconnect, invalidate the session, drop the connection without a close, and
 * refuse the next posts with 429. A wrong `Authorization: Bot` is 401.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export const FAKE_DISCORD_BOT = { id: '900000000000000001', username: 'fake_discord_bot', bot: true };

export interface DiscordAuthor {
  id: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
}

export interface FakeDiscord {
  port: number;
  /** The REST root to give the adapter (AOS_DISCORD_API_ROOT). */
  apiRoot: string;
  /** What POST /channels/{id}/messages was given, in order, with the channel. */
  sent: Array<{
    channel: string;
    content: string;
    allowed_mentions?: unknown;
    message_reference?: { message_id: string };
  }>;
  /** A person's message in `channel` (a MESSAGE_CREATE dispatch): its id and the dispatch's sequence. */
  push(
    channel: string,
    content: string,
    author: DiscordAuthor,
    extra?: Record<string, unknown>,
  ): { id: string; seq: number };
  /** The dispatch of sequence `seq` sent again, as a new dispatch (a duplicate delivery). */
  again(seq: number): void;
  /** Any frame, as given, on the live connection (forged events). */
  raw(frame: string): void;
  /** OP 7: Discord asks the bot to reconnect (and resume). */
  askReconnect(): void;
  /** OP 9 with `resumable`: the session is invalid. */
  invalidate(resumable: boolean): void;
  /** The connection closed by Discord with `code` (4014: intents not enabled …). */
  closeWith(code: number, reason: string): void;
  /** The connection cut without a close frame (a network drop). */
  drop(): void;
  /** The next `count` posts answered 429 with `retry_after` seconds. */
  rateLimitNext(count: number, retryAfterS: number): void;
  /** The heartbeat interval the next HELLO names (ms), and whether heartbeats are acknowledged from now on. */
  heartbeat(intervalMs: number, ack: boolean): void;
  /** The resume_gateway_url of the next READY (a forged one: somewhere the bot may not go). */
  setResumeUrl(url: string): void;
  /** Gateway ops received, in order (2 identify, 6 resume, 1 heartbeat …). */
  ops: number[];
  /** Whether a connection is open and identified or resumed. */
  connected(): boolean;
  close(): Promise<void>;
}

interface Session {
  id: string;
  seq: number;
  log: Array<{ s: number; t: string; d: unknown }>;
}

let snowflakes = 1_100_000_000_000_000_000n;
const nextId = (): string => String(++snowflakes);

export async function startFakeDiscord(token: string, options: { heartbeatMs?: number } = {}): Promise<FakeDiscord> {
  const sent: FakeDiscord['sent'] = [];
  const ops: number[] = [];
  const sessions = new Map<string, Session>();
  let live: { ws: WebSocket; session: Session | null } | null = null;
  let limited = { count: 0, retryAfterS: 0 };
  let resumeUrl = '';
  let beat = { intervalMs: options.heartbeatMs ?? 45_000, ack: true };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bot ${token}`) return reply(401, { message: '401: Unauthorized', code: 0 });
      const url = req.url ?? '';
      if (req.method === 'GET' && url === '/api/v10/gateway/bot')
        return reply(200, { url: `ws://127.0.0.1:${port}/gateway`, shards: 1 });
      if (req.method === 'GET' && url === '/api/v10/users/@me')
        return reply(200, { ...FAKE_DISCORD_BOT, global_name: 'Fake' });
      const post = /^\/api\/v10\/channels\/([0-9]+)\/messages$/.exec(url);
      if (req.method === 'POST' && post) {
        if (limited.count > 0) {
          limited.count--;
          return reply(429, {
            message: 'You are being rate limited.',
            retry_after: limited.retryAfterS,
            global: false,
          });
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FakeDiscord['sent'][number];
        sent.push({ ...body, channel: post[1] as string });
        return reply(200, { id: nextId(), channel_id: post[1], content: body.content });
      }
      reply(404, { message: '404: Not Found', code: 0 });
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (!/^\/gateway(-resume)?(\?|$)/.test(req.url ?? '')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });
  const send = (ws: WebSocket, frame: unknown): void => ws.send(JSON.stringify(frame));
  const dispatch = (session: Session, t: string, d: unknown): number => {
    const s = ++session.seq;
    session.log.push({ s, t, d });
    if (live?.session === session) send(live.ws, { op: 0, s, t, d });
    return s;
  };
  function accept(ws: WebSocket): void {
    live?.ws.terminate();
    const conn: { ws: WebSocket; session: Session | null } = { ws, session: null };
    live = conn;
    send(ws, { op: 10, d: { heartbeat_interval: beat.intervalMs } });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { op: number; d: Record<string, unknown> | number | null };
      ops.push(frame.op);
      const d = (frame.d ?? {}) as Record<string, unknown>;
      if (frame.op === 1) return beat.ack ? send(ws, { op: 11 }) : undefined;
      if (frame.op === 2) {
        if (d.token !== token) return ws.close(4004, 'Authentication failed.');
        const session: Session = { id: nextId(), seq: 0, log: [] };
        sessions.set(session.id, session);
        conn.session = session;
        const s = ++session.seq;
        const ready = {
          v: 10,
          user: FAKE_DISCORD_BOT,
          session_id: session.id,
          resume_gateway_url: resumeUrl || `ws://127.0.0.1:${port}/gateway-resume`,
        };
        session.log.push({ s, t: 'READY', d: ready });
        return send(ws, { op: 0, s, t: 'READY', d: ready });
      }
      if (frame.op === 6) {
        const session = sessions.get(String(d.session_id));
        if (d.token !== token || !session) return send(ws, { op: 9, d: false });
        conn.session = session;
        const after = typeof d.seq === 'number' ? d.seq : 0;
        for (const e of session.log) if (e.s > after && e.t !== 'READY') send(ws, { op: 0, ...e });
        return send(ws, { op: 0, s: ++session.seq, t: 'RESUMED', d: {} });
      }
    });
    ws.on('close', () => {
      if (live === conn) live = null;
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const current = (): Session => {
    const session = live?.session ?? [...sessions.values()].at(-1);
    if (!session) throw new Error('the fake Discord has no session yet (the bot never identified)');
    return session;
  };
  return {
    port,
    apiRoot: `http://127.0.0.1:${port}/api/v10`,
    sent,
    ops,
    push(channel, content, author, extra = {}) {
      const id = nextId();
      const d = {
        id,
        channel_id: channel,
        type: 0,
        content,
        author,
        attachments: [],
        timestamp: new Date().toISOString(),
        ...extra,
      };
      return { id, seq: dispatch(current(), 'MESSAGE_CREATE', d) };
    },
    again(seq) {
      const e = current().log.find((x) => x.s === seq);
      if (!e) throw new Error(`no dispatch ${seq}`);
      dispatch(current(), e.t, e.d);
    },
    raw(frame) {
      live?.ws.send(frame);
    },
    askReconnect: () => live && send(live.ws, { op: 7, d: null }),
    invalidate: (resumable) => live && send(live.ws, { op: 9, d: resumable }),
    drop: () => live?.ws.terminate(),
    closeWith: (code, reason) => live?.ws.close(code, reason),
    heartbeat(intervalMs, ack) {
      beat = { intervalMs, ack };
    },
    setResumeUrl(url) {
      resumeUrl = url;
    },
    rateLimitNext(count, retryAfterS) {
      limited = { count, retryAfterS };
    },
    connected: () => live?.session != null,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
