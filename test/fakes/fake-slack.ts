/**
 * A fake Slack Web API on loopback, for the Slack adapter's tests (issue 34): `POST /api/<method>`
 * for auth.test and chat.postMessage, their bodies form-encoded (as @slack/web-api sends them) or
 * JSON, answered in Slack's shapes — `{ok: true, ...}` or `{ok: false, error}`; a missing or wrong
 * bearer token is `invalid_auth`. It can be told to refuse the next posts (`ratelimited` is HTTP
 * 429 with retry-after, as Slack does; any other error is 200 with ok false) or to leave the next
 * post unanswered (a timeout after the request went out).
 *
 * `signedEvent` makes an Events API request as Slack would send it: its body and its signature
 * headers, signed here independently of the adapter's own code.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_TEAM_ID = 'T0FAKE';
export const FAKE_BOT_USER_ID = 'U0AOSBOT';
export const FAKE_BOT_USER = 'aosbot';

export interface FakeSlack {
  port: number;
  /** The Web API root to give the adapter (AOS_SLACK_API_ROOT). */
  apiRoot: string;
  /** What chat.postMessage was given, in order (also the refused ones' `refused`). */
  sent: Array<{ channel: string; text: string; thread_ts?: string; ts?: string; refused?: string; blocks?: string }>;
  /** What chat.update was given (issue 52: an approval's message edited), in order. */
  updated: Array<{ channel: string; ts: string; text: string; blocks?: string }>;
  /** What chat.postEphemeral was given (what a presser of a button was told), in order. */
  ephemeral: Array<{ channel: string; user: string; text: string }>;
  /** Every method called, in order (including those refused for their token). */
  calls: string[];
  /** The next `count` chat.postMessage calls are refused with `error` (`ratelimited`: HTTP 429). */
  failNextPosts(count: number, error: string): void;
  /** The next chat.postMessage is taken and never answered. */
  hangNextPost(): void;
  close(): Promise<void>;
}

export async function startFakeSlack(token: string): Promise<FakeSlack> {
  const sent: FakeSlack['sent'] = [];
  const calls: string[] = [];
  const updated: FakeSlack['updated'] = [];
  const ephemeral: FakeSlack['ephemeral'] = [];
  const failures: string[] = [];
  let hang = false;
  let nextTs = 1;
  const reply = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const paramsOf = (req: http.IncomingMessage, raw: string): Record<string, string> => {
    if (!raw) return {};
    if ((req.headers['content-type'] ?? '').includes('application/json'))
      return JSON.parse(raw) as Record<string, string>;
    return Object.fromEntries(new URLSearchParams(raw));
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const match = /^\/api\/([\w.]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
      if (req.method !== 'POST' || !match) return reply(res, 404, { ok: false, error: 'unknown_method' });
      const method = match[1] ?? '';
      calls.push(method);
      if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 200, { ok: false, error: 'invalid_auth' });
      const p = paramsOf(req, raw);
      switch (method) {
        case 'auth.test':
          return reply(res, 200, {
            ok: true,
            url: 'https://fake.slack.test/',
            team: 'Fake Team',
            user: FAKE_BOT_USER,
            team_id: FAKE_TEAM_ID,
            user_id: FAKE_BOT_USER_ID,
            bot_id: 'B0AOSBOT',
            is_enterprise_install: false,
          });
        case 'chat.postMessage': {
          const post = {
            channel: p.channel ?? '',
            text: p.text ?? '',
            ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}),
            ...(p.blocks ? { blocks: typeof p.blocks === 'string' ? p.blocks : JSON.stringify(p.blocks) } : {}),
          };
          const refused = failures.shift();
          if (refused) {
            sent.push({ ...post, refused });
            if (refused === 'ratelimited')
              return reply(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
            return reply(res, 200, { ok: false, error: refused });
          }
          const ts = `${Math.floor(Date.now() / 1000)}.${String(nextTs++).padStart(6, '0')}`;
          sent.push({ ...post, ts });
          if (hang) {
            hang = false;
            return; // taken, never answered
          }
          if (!post.channel) return reply(res, 200, { ok: false, error: 'channel_not_found' });
          return reply(res, 200, {
            ok: true,
            // As Slack does: a post to a user (U…) lands in the direct message channel with them (D…).
            channel: post.channel.startsWith('U') ? `D${post.channel.slice(1)}` : post.channel,
            ts,
            message: { type: 'message', text: post.text, user: FAKE_BOT_USER_ID, bot_id: 'B0AOSBOT', ts },
          });
        }
        case 'chat.update':
          updated.push({
            channel: p.channel ?? '',
            ts: p.ts ?? '',
            text: p.text ?? '',
            ...(p.blocks !== undefined ? { blocks: String(p.blocks) } : {}),
          });
          return reply(res, 200, { ok: true, channel: p.channel, ts: p.ts, text: p.text });
        case 'chat.postEphemeral':
          ephemeral.push({ channel: p.channel ?? '', user: p.user ?? '', text: p.text ?? '' });
          return reply(res, 200, { ok: true, message_ts: `${Date.now() / 1000}` });
        default:
          return reply(res, 200, { ok: false, error: 'unknown_method' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    apiRoot: `http://127.0.0.1:${port}/api/`,
    sent,
    updated,
    ephemeral,
    calls,
    failNextPosts(count, error) {
      for (let i = 0; i < count; i++) failures.push(error);
    },
    hangNextPost() {
      hang = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/** An Events API request as Slack sends it: the JSON body, signed with `signingSecret` at `timestamp` (seconds; now by default). */
export function signedEvent(
  signingSecret: string,
  payload: unknown,
  { timestamp }: { timestamp?: number } = {},
): SignedRequest {
  const body = JSON.stringify(payload);
  const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature },
    body,
  };
}

/** An interactivity request as Slack sends it: form-encoded `payload=<JSON>`, signed with `signingSecret`. */
export function signedInteraction(
  signingSecret: string,
  payload: unknown,
  { timestamp }: { timestamp?: number } = {},
): SignedRequest {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signature,
    },
    body,
  };
}

/** A block_actions payload: `user` pressed the button whose value is `value` on message `ts` in `channel`. */
export function blockActions(user: string, channel: string, ts: string, value: string): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: FAKE_TEAM_ID },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase() },
    channel: { id: channel },
    container: { type: 'message', message_ts: ts, channel_id: channel },
    message: { ts },
    actions: [{ action_id: 'aos-0', type: 'button', value }],
  };
}

/** An event_callback envelope around `event`, as Slack wraps one. */
export function eventCallback(
  event: Record<string, unknown>,
  eventId = `Ev${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
): Record<string, unknown> {
  return {
    token: 'legacy-verification-token',
    team_id: FAKE_TEAM_ID,
    api_app_id: 'A0AOS',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
  };
}
