/**
 * The Discord adapter (issue 53): a bot's Gateway session (discord-gateway.ts) and REST calls
 * (discord-rest.ts), speaking the channel protocol (protocol.ts) to the kernel. A MESSAGE_CREATE
 * becomes `channel.inbound` — account the bot's username, chat the channel's id (a server's
 * channel, a thread, or a direct message's channel), sender the author's id — and the next dispatch
 * is taken only once the kernel has answered; a RESUME replays from the last one answered. The
 * bot's own messages and other bots' and webhooks' are not handed over (a bot answering a bot is a
 * loop). `channel.outbound` is `POST /channels/{chat}/messages`, cut into Discord's 2,000-character
 * messages, with `allowed_mentions: {parse: []}` so no reply pings @everyone, a role or a user
 * whatever the model wrote. Discord has no approval buttons in aos: `channel.approval` and
 * `channel.edit` are answered "not supported" and the kernel leaves the request to `aos approve`.
 */
import type { Readable, Writable } from 'node:stream';
import type { DiscordGateway, GatewayUser } from './discord-gateway.js';
import type { DiscordRest } from './discord-rest.js';
import { CHANNEL_PROTOCOL, ChannelError, type InboundMessage, type InboundStatus, LineRpc } from './protocol.js';

/** Discord's longest message. */
export const DISCORD_MAX_CHARS = 2_000;
/** Message types that carry what a person wrote: DEFAULT and REPLY (joins, pins, boosts are not). */
const PERSON_TYPES = new Set([0, 19]);
const SNOWFLAKE = /^[0-9]{1,20}$/;

export interface DiscordAdapterOptions {
  /** An inbound message's text at most (the kernel's limit): a longer one is cut here, saying how long it was. */
  maxInboundChars: number;
  /** A message could not be handed over, or the kernel went: end the adapter now (the program exits). */
  onFatal(why: string): void;
}

const snowflake = (value: unknown): value is string => typeof value === 'string' && SNOWFLAKE.test(value);
const cut = (value: unknown, max: number): string => (typeof value === 'string' ? value.slice(0, max) : '');

interface DiscordMessage {
  id?: unknown;
  channel_id?: unknown;
  type?: unknown;
  content?: unknown;
  timestamp?: unknown;
  webhook_id?: unknown;
  author?: { id?: unknown; username?: unknown; global_name?: unknown; bot?: unknown } | null;
  attachments?: unknown;
}

/**
 * A MESSAGE_CREATE's data as the protocol's inbound message; null when it is none of a person's
 * (the bot's own, another bot's or a webhook's, a system message) or is malformed.
 */
export function inboundOf(account: string, self: string, data: unknown, maxChars: number): InboundMessage | null {
  const m = data as DiscordMessage | null;
  if (typeof m !== 'object' || m === null) return null;
  const author = m.author;
  if (!snowflake(m.id) || !snowflake(m.channel_id) || !author || !snowflake(author.id)) return null;
  if (author.id === self || author.bot === true || m.webhook_id !== undefined) return null;
  if (m.type !== undefined && !PERSON_TYPES.has(m.type as number)) return null;
  const username = cut(author.username, 100);
  const attachments = (Array.isArray(m.attachments) ? (m.attachments as unknown[]) : []).slice(0, 10).map((a) => {
    const file = (a ?? {}) as { filename?: unknown; size?: unknown; content_type?: unknown };
    const type = cut(file.content_type, 40).split('/')[0];
    return {
      kind: type && /^[a-z]+$/.test(type) ? type : 'file',
      ...(typeof file.filename === 'string' ? { name: file.filename.slice(0, 200) } : {}),
      ...(typeof file.size === 'number' && Number.isFinite(file.size) ? { size: file.size } : {}),
    };
  });
  const at = typeof m.timestamp === 'string' ? new Date(m.timestamp.slice(0, 40)) : new Date(NaN);
  return {
    channel: 'discord',
    account,
    chat: m.channel_id,
    thread: null,
    sender: {
      id: author.id,
      name: cut(author.global_name, 100) || username,
      ...(username ? { username } : {}),
    },
    message_id: m.id,
    text: textOf(m.content, maxChars),
    attachments,
    platform_ts: Number.isNaN(at.getTime()) ? new Date().toISOString() : at.toISOString(),
  };
}

/**
 * A message's content, at most `max` characters: a longer one (Discord's are at most 4,000; a
 * forged one may be anything) cut with how long it was said, as the kernel says it.
 */
function textOf(content: unknown, max: number): string {
  if (typeof content !== 'string') return '';
  if (content.length <= max) return content;
  const note = ` [cut: ${content.length} characters in all]`;
  return `${content.slice(0, Math.max(0, max - note.length))}${note}`;
}

/** A text as Discord messages: cut at a line's or word's end when one is near, never inside a surrogate pair. */
export function splitText(text: string, max = DISCORD_MAX_CHARS): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let at = max;
    const soft = Math.max(rest.lastIndexOf('\n', max), rest.lastIndexOf(' ', max));
    if (soft > max * 0.8) at = soft + 1;
    else if (/[\uD800-\uDBFF]/.test(rest[at - 1] ?? '')) at -= 1;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

function outboundOf(params: unknown): { chat: string; text: string; reply_to: string | null } {
  const p = params as { ref?: unknown; chat?: unknown; text?: unknown; reply_to?: unknown } | null;
  if (!p || typeof p.ref !== 'string' || typeof p.text !== 'string' || p.text.length === 0)
    throw new ChannelError(-32602, 'channel.outbound needs {ref, chat, text} as strings', false);
  // The chat goes into the request's path: a channel id and nothing else.
  if (!snowflake(p.chat))
    throw new ChannelError(-32602, `a Discord chat is a channel id (digits), not ${JSON.stringify(p.chat)}`, false);
  return { chat: p.chat, text: p.text, reply_to: snowflake(p.reply_to) ? p.reply_to : null };
}

export interface RunningDiscord {
  /** Settles when the adapter has stopped. */
  done: Promise<void>;
  stop(): void;
}

const never = (): Promise<never> => new Promise<never>(() => undefined);

export function runDiscordAdapter(
  rest: DiscordRest,
  makeGateway: (handlers: {
    onDispatch(type: string, data: unknown): Promise<void>;
    onReady(user: GatewayUser): void;
    onStatus(state: string, error?: string): void;
    onFatal(why: string): void;
  }) => DiscordGateway,
  io: { input: Readable; output: Writable },
  options: DiscordAdapterOptions,
): RunningDiscord {
  let account = 'discord';
  let self = '';
  let ended = false;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const send = async (out: {
    chat: string;
    text: string;
    reply_to: string | null;
  }): Promise<{ message_id: string }> => {
    const parts = splitText(out.text);
    let first = '';
    for (const [i, content] of parts.entries()) {
      try {
        const sent = await rest.call<{ id?: unknown }>('POST', `/channels/${out.chat}/messages`, {
          content,
          allowed_mentions: { parse: [], replied_user: false },
          ...(i === 0 && out.reply_to
            ? { message_reference: { message_id: out.reply_to, fail_if_not_exists: false } }
            : {}),
        });
        first ||= typeof sent?.id === 'string' ? sent.id : '';
      } catch (error) {
        if (i === 0) throw error;
        // A part went out already: sending the whole again would repeat it.
        throw new ChannelError(-32000, `part ${i + 1} of ${parts.length} not sent: ${(error as Error).message}`, false);
      }
    }
    return { message_id: first };
  };
  const handle = async (method: string, params: unknown): Promise<unknown> => {
    if (method === 'channel.outbound') return send(outboundOf(params));
    if (method === 'channel.test') {
      const me = await rest.call<{ username?: unknown; global_name?: unknown }>('GET', '/users/@me');
      return { account: cut(me?.username, 100), name: cut(me?.global_name, 100) || cut(me?.username, 100) };
    }
    if (method === 'channel.approval' || method === 'channel.edit')
      throw new ChannelError(-32601, 'Discord channels have no approval buttons: decide with aos approve', false);
    throw new ChannelError(-32601, `no method ${method}`, false);
  };
  const fatal = (why: string): void => {
    if (ended) return;
    ended = true;
    gateway.stop();
    options.onFatal(why);
    finish();
  };
  const rpc = new LineRpc(io.input, io.output, handle, (why) => fatal(`the kernel's side closed: ${why}`));
  const gateway = makeGateway({
    onDispatch: async (type, data) => {
      if (type !== 'MESSAGE_CREATE') return;
      const message = inboundOf(account, self, data, options.maxInboundChars);
      if (!message) return;
      let answer: { status?: InboundStatus } | null;
      try {
        answer = await rpc.request<{ status?: InboundStatus } | null>('channel.inbound', message);
      } catch (error) {
        fatal(`message ${message.message_id} not handed over: ${(error as Error).message}`);
        return never();
      }
      if (!answer?.status || !['accepted', 'duplicate', 'dropped'].includes(answer.status)) {
        fatal(`the kernel answered channel.inbound with ${JSON.stringify(answer).slice(0, 200)}`);
        return never();
      }
    },
    onReady: (user) => {
      self = user.id;
      account = cut(user.username, 100) || account;
      rpc.notify('channel.hello', { protocol: CHANNEL_PROTOCOL, channel: 'discord', account });
    },
    onStatus: (state, error) => rpc.notify('channel.status', error ? { state, error } : { state }),
    onFatal: fatal,
  });
  gateway.start().catch((error: unknown) => fatal(`could not start: ${(error as Error).message}`));
  return {
    done,
    stop: () => {
      ended = true;
      gateway.stop();
      rpc.close('the adapter stopped');
      finish();
    },
  };
}
