/**
 * The Slack adapter (issue 34): Slack's Events API in, chat.postMessage out, speaking the channel
 * protocol (protocol.ts) to the kernel. Slack pushes events to the kernel's gateway, which forwards
 * each request as `channel.http`; the adapter checks Slack's signature itself (slack-signature.ts:
 * a request that fails is 401 and goes no further), answers url_verification's challenge, and
 * hands a user's message over as `channel.inbound` — answering Slack's request only once the kernel
 * has answered that, and 500 when it could not, so Slack sends the event again (the kernel
 * dedups by chat and message id, the message's `ts`). `channel.outbound` is chat.postMessage:
 * an error is retryable only when Slack surely posted nothing (rate limited, a connection refused
 * or reset before the request was sent). It never answers itself: messages from a bot, or from the
 * bot's own user, are not handed over. Buttons (issue 52): `channel.approval`, `channel.edit`, and
 * presses (signed interactivity requests, same URL) as `channel.callback` (slack-interaction.ts).
 * The Slack client is injected (slack-main.ts gives @slack/web-api's WebClient, its retries off).
 */
import type { Readable, Writable } from 'node:stream';
import {
  type WebClient,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import {
  CHANNEL_PROTOCOL,
  ChannelError,
  buttonMessageOf,
  editMessageOf,
  type HttpAnswer,
  type HttpForward,
  type InboundMessage,
  LineRpc,
  type OutboundMessage,
} from './protocol.js';
import { verifySlackSignature } from './slack-signature.js';
import { interactionOf, isInteraction, postButtons, tellPresser, updateMessage } from './slack-interaction.js';

/** The Web API calls the adapter makes (WebClient has them). */
export type SlackClient = Pick<WebClient, 'auth' | 'chat'>;

export interface SlackAdapterOptions {
  /** The app's signing secret: every forwarded request must carry its signature. */
  signingSecret: string;
  /** The clock signatures' timestamps are checked against (ms since the epoch). */
  now?: () => number;
}

export interface RunningSlackAdapter {
  /** Settles when the kernel's side has closed (resolves) or the adapter could not start (rejects: auth.test failed). */
  done: Promise<void>;
}

/**
 * What an HTTP client raises when its request surely never reached Slack (the connection was
 * refused, or reset before the request was written): a send that failed so may be tried again.
 */
export class NotSentError extends Error {
  readonly notSent = true;
}

interface Identity {
  team_id: string;
  user_id: string;
  user: string;
}

interface SlackEvent {
  type?: unknown;
  subtype?: unknown;
  bot_id?: unknown;
  user?: unknown;
  channel?: unknown;
  ts?: unknown;
  thread_ts?: unknown;
  text?: unknown;
  files?: unknown;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
const text = (status: number, body: string): HttpAnswer => ({ status, body, content_type: 'text/plain' });
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A failed Web API call as the protocol's error: retryable only when Slack surely did nothing. */
export function channelErrorOf(call: string, error: unknown): ChannelError {
  if (error instanceof ChannelError) return error;
  if (error instanceof WebAPIPlatformError) {
    const limited = error.data.error === 'ratelimited';
    return new ChannelError(limited ? 429 : -32000, `Slack refused ${call}: ${error.data.error}`, limited);
  }
  if (error instanceof WebAPIRateLimitedError)
    return new ChannelError(429, `Slack refused ${call}: ratelimited (retry after ${error.retryAfter} s)`, true);
  if (error instanceof WebAPIHTTPError) {
    return new ChannelError(
      error.statusCode,
      `Slack answered ${call} with HTTP ${error.statusCode} ${error.statusMessage}`.trim(),
      error.statusCode === 429,
    );
  }
  const cause = error instanceof WebAPIRequestError ? error.original : error;
  if (cause instanceof NotSentError) return new ChannelError(-32000, `${call} was not sent: ${cause.message}`, true);
  return new ChannelError(-32000, `${call} failed, and may have reached Slack: ${errorText(cause)}`, false);
}

async function whoAmI(client: SlackClient): Promise<Identity> {
  let me: Awaited<ReturnType<SlackClient['auth']['test']>>;
  try {
    me = await client.auth.test();
  } catch (error) {
    throw channelErrorOf('auth.test', error);
  }
  if (!me.team_id || !me.user_id)
    throw new ChannelError(-32000, 'Slack answered auth.test without a team_id or user_id', false);
  return { team_id: me.team_id, user_id: me.user_id, user: me.user ?? me.user_id };
}

function platformTs(ts: string): string {
  const ms = Math.round(Number(ts) * 1000);
  // A time past what a Date holds (±8.64e15 ms) is no time: now, rather than a throw.
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : new Date().toISOString();
}

function attachmentsOf(files: unknown): InboundMessage['attachments'] {
  if (!Array.isArray(files)) return [];
  return files.map((file: unknown) => {
    const f = (file ?? {}) as { name?: unknown; size?: unknown };
    return {
      kind: 'file',
      ...(typeof f.name === 'string' ? { name: f.name } : {}),
      ...(typeof f.size === 'number' ? { size: f.size } : {}),
    };
  });
}

/** A user's message (or mention of the bot) as the protocol's inbound message; null for anything else. */
export function inboundOf(me: Identity, event: SlackEvent): InboundMessage | null {
  if (event.type !== 'message' && event.type !== 'app_mention') return null;
  // A subtype is an edit, a deletion, a join, a bot's post...: not a person saying something new.
  if (event.subtype !== undefined || event.bot_id !== undefined) return null;
  const user = str(event.user);
  const chat = str(event.channel);
  const ts = str(event.ts);
  if (!user || !chat || !ts || user === me.user_id) return null;
  return {
    channel: 'slack',
    account: me.team_id,
    chat,
    thread: str(event.thread_ts) ?? null,
    sender: { id: user, name: user },
    message_id: ts,
    text: typeof event.text === 'string' ? event.text : '',
    attachments: attachmentsOf(event.files),
    platform_ts: platformTs(ts),
  };
}

function httpOf(params: unknown): HttpForward {
  const p = params as Partial<HttpForward> | null;
  if (
    !p ||
    typeof p.method !== 'string' ||
    typeof p.body !== 'string' ||
    typeof p.headers !== 'object' ||
    p.headers === null
  ) {
    throw new ChannelError(-32602, 'channel.http needs {method, path, headers, body}', false);
  }
  return p as HttpForward;
}

function outboundOf(params: unknown): OutboundMessage {
  const p = params as Partial<OutboundMessage> | null;
  if (
    !p ||
    typeof p.chat !== 'string' ||
    typeof p.text !== 'string' ||
    typeof p.ref !== 'string' ||
    p.text.length === 0 ||
    p.chat.length === 0
  ) {
    throw new ChannelError(-32602, 'channel.outbound needs {ref, chat, text} as non-empty strings', false);
  }
  if (p.thread !== undefined && p.thread !== null && typeof p.thread !== 'string')
    throw new ChannelError(-32602, 'channel.outbound: thread must be a string or null', false);
  return p as OutboundMessage;
}

export function runSlackAdapter(
  client: SlackClient,
  io: { input: Readable; output: Writable },
  options: SlackAdapterOptions,
): RunningSlackAdapter {
  const now = options.now ?? Date.now;
  let closed = (): void => undefined;
  const kernelGone = new Promise<void>((resolve) => (closed = resolve));
  // auth.test first: who the bot is, so it never hands over its own messages.
  const ready = whoAmI(client);

  const receive = async (me: Identity, params: unknown): Promise<HttpAnswer> => {
    const request = httpOf(params);
    if (request.method.toUpperCase() !== 'POST') return text(405, 'Slack sends events with POST');
    const verdict = verifySlackSignature(options.signingSecret, request.headers, request.body, now());
    if (!verdict.ok) return text(401, `signature refused: ${verdict.reason}`);
    if (isInteraction(request.headers)) return pressed(me, request.body);
    let payload: { type?: unknown; challenge?: unknown; event?: SlackEvent };
    try {
      payload = JSON.parse(request.body) as typeof payload;
    } catch {
      return text(400, 'the body is not JSON');
    }
    if (typeof payload !== 'object' || payload === null) return text(400, 'the body is not a JSON object');
    if (payload.type === 'url_verification')
      return text(200, typeof payload.challenge === 'string' ? payload.challenge : '');
    if (payload.type !== 'event_callback' || typeof payload.event !== 'object' || payload.event === null)
      return text(200, '');
    const message = inboundOf(me, payload.event);
    if (!message) return text(200, '');
    try {
      await rpc.request('channel.inbound', message);
    } catch (error) {
      // Slack sends the event again after a 5xx: the kernel says "duplicate" if it had taken it.
      return text(500, `the message was not handed over: ${errorText(error)}`);
    }
    return text(200, '');
  };

  // A button pressed (its signature checked): the kernel decides; the presser alone is told what happened.
  const pressed = async (me: Identity, body: string): Promise<HttpAnswer> => {
    const press = interactionOf(me.team_id, body);
    if (!press) return text(200, '');
    let said: { text?: unknown } | null;
    try {
      said = await rpc.request<{ text?: unknown } | null>('channel.callback', { channel: 'slack', ...press });
    } catch (error) {
      said = { text: `not handed over: ${errorText(error)}` };
    }
    const answer = typeof said?.text === 'string' ? said.text.slice(0, 500) : '';
    await tellPresser(client, press.chat, press.sender.id, answer).catch(() => undefined);
    return text(200, '');
  };

  /** A chat.postMessage's answer: its ts, or the protocol's error. */
  const posted = async (post: () => Promise<{ ts?: string }>): Promise<{ message_id: string }> => {
    let sent: { ts?: string };
    try {
      sent = await post();
    } catch (error) {
      throw channelErrorOf('chat.postMessage', error);
    }
    if (!sent.ts) throw new ChannelError(-32000, 'Slack answered chat.postMessage without a ts', false);
    return { message_id: sent.ts };
  };

  const send = (out: OutboundMessage): Promise<{ message_id: string }> =>
    posted(() =>
      client.chat.postMessage({ channel: out.chat, text: out.text, ...(out.thread ? { thread_ts: out.thread } : {}) }),
    );

  const handle = async (method: string, params: unknown): Promise<unknown> => {
    if (method === 'channel.test') {
      const me = await whoAmI(client);
      return { account: me.team_id, name: me.user };
    }
    if (method === 'channel.http') return receive(await ready, params);
    if (method === 'channel.outbound') {
      const out = outboundOf(params);
      await ready;
      return send(out);
    }
    if (method === 'channel.approval') {
      const ask = buttonMessageOf(params);
      await ready;
      let dm: string | undefined; // a post to a user lands in a DM channel (D…), which chat.update needs
      const out = await posted(() => postButtons(client, ask).then((sent) => ((dm = sent.channel), sent)));
      return { ...out, ...(dm ? { chat: dm } : {}) };
    }
    if (method === 'channel.edit') {
      await ready;
      await updateMessage(client, editMessageOf(params)).catch((error: unknown) => {
        throw channelErrorOf('chat.update', error);
      });
      return {};
    }
    throw new ChannelError(-32601, `no method ${method}`, false);
  };
  const rpc = new LineRpc(io.input, io.output, handle, () => closed());
  const started = ready.then(
    (me) => {
      rpc.notify('channel.hello', { protocol: CHANNEL_PROTOCOL, channel: 'slack', account: me.team_id });
      rpc.notify('channel.status', { state: 'polling' });
    },
    (error: unknown) => {
      rpc.notify('channel.status', { state: 'error', error: errorText(error) });
      throw error;
    },
  );
  const done = Promise.race([kernelGone, started.then(() => kernelGone)]).finally(() =>
    rpc.close('the adapter stopped'),
  );
  return { done };
}
