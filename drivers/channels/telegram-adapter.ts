/**
 * The Telegram adapter (issue 34): Bot API long polling through grammY, speaking the channel
 * protocol (protocol.ts) to the kernel. A message becomes `channel.inbound`, and grammY confirms it
 * to Telegram (its next getUpdates offset) only once the kernel has answered — so a message the
 * adapter was handing over when it died comes again, and the kernel's dedup says "duplicate".
 * `channel.outbound` becomes sendMessage; `channel.approval` a message with an inline keyboard, whose
 * presses (callback_query) go to the kernel as `channel.callback` and are answered with what it says
 * (answerCallbackQuery) — a press not handed over is answered so and not offered again (the person
 * presses again); `channel.edit` is editMessageText, the keyboard removed (issue 52). It holds the bot token; nothing it is sent reaches any host
 * but the Bot API's (its sandbox goes out only through the egress proxy).
 *
 * grammY confirms the update it was handling whenever it stops or polls again, even one whose
 * handler failed: so when a message cannot be handed over (the kernel went away, answered
 * nonsense), the handler never returns and `onFatal` ends the adapter — the program exits, the
 * update stays unconfirmed, and the supervisor's next adapter is given it again.
 */
import type { Readable, Writable } from 'node:stream';
import { type Bot, GrammyError } from 'grammy';
import type { Message } from 'grammy/types';
import {
  buttonMessageOf,
  CHANNEL_PROTOCOL,
  ChannelError,
  editMessageOf,
  type InboundMessage,
  type InboundStatus,
  LineRpc,
  type OutboundMessage,
} from './protocol.js';

export interface AdapterOptions {
  /** getUpdates' long-polling timeout (seconds). */
  pollTimeoutS?: number;
  /** A message could not be handed over, or the kernel went: end the adapter now, without confirming (the program exits). */
  onFatal(why: string): void;
}

export interface RunningAdapter {
  /** Settles when polling has stopped. */
  done: Promise<void>;
}

/** What a handler awaits when the adapter is ending: nothing, ever (grammY must not confirm the update). */
const never = (): Promise<never> => new Promise<never>(() => undefined);

/**
 * Who sent a message. One written on behalf of a chat — an anonymous group admin, a channel's post,
 * a forward from a linked channel — carries in `from` a stand-in user every such message shares
 * (GroupAnonymousBot 1087968824, Channel_Bot 136817688, 777000): the sender is that chat, named
 * `chat:<id>`, never the stand-in — pairing one anonymous admin must not let in every group's.
 */
function senderOf(m: Message): InboundMessage['sender'] {
  const chat = m.sender_chat ?? (m.from ? null : m.chat);
  if (chat)
    return {
      id: `chat:${chat.id}`,
      name: ('title' in chat && chat.title) || ('first_name' in chat && chat.first_name) || 'a chat',
    };
  const from = m.from as NonNullable<Message['from']>;
  return {
    id: String(from.id),
    name: [from.first_name, from.last_name].filter(Boolean).join(' '),
    ...(from.username ? { username: from.username } : {}),
  };
}

/** A Telegram message as the protocol's inbound message. */
export function inboundOf(account: string, m: Message): InboundMessage {
  const attachments = (['photo', 'document', 'audio', 'voice', 'video', 'sticker'] as const)
    .filter((kind) => m[kind] !== undefined)
    .map((kind) => ({ kind }));
  return {
    channel: 'telegram',
    account,
    chat: String(m.chat.id),
    thread: m.message_thread_id === undefined ? null : String(m.message_thread_id),
    sender: senderOf(m),
    message_id: String(m.message_id),
    text: m.text ?? m.caption ?? '',
    attachments,
    platform_ts: new Date(m.date * 1000).toISOString(),
  };
}

function outboundOf(params: unknown): OutboundMessage {
  const p = params as Partial<OutboundMessage> | null;
  if (
    !p ||
    typeof p.chat !== 'string' ||
    typeof p.text !== 'string' ||
    typeof p.ref !== 'string' ||
    p.text.length === 0
  ) {
    throw new ChannelError(-32602, 'channel.outbound needs {ref, chat, text} as strings', false);
  }
  return p as OutboundMessage;
}

/** Only a refusal says surely nothing was sent (a 429 says when to try again); anything else may have been. */
function channelErrorOf(error: unknown): ChannelError {
  if (error instanceof GrammyError)
    return new ChannelError(error.error_code, error.description, error.error_code === 429);
  return new ChannelError(-32000, error instanceof Error ? error.message : String(error), false);
}

export function runTelegramAdapter(
  bot: Bot,
  io: { input: Readable; output: Writable },
  options: AdapterOptions,
): RunningAdapter {
  let account = bot.isInited() ? bot.botInfo.username : 'telegram';
  const handle = async (method: string, params: unknown): Promise<unknown> => {
    if (method === 'channel.test') {
      const me = await bot.api.getMe();
      return { account: me.username, name: me.first_name };
    }
    if (method === 'channel.approval') {
      const ask = buttonMessageOf(params);
      const keyboard = [ask.buttons.map((b) => ({ text: b.label, callback_data: b.data }))];
      const sent = await bot.api
        .sendMessage(ask.chat, ask.text, { reply_markup: { inline_keyboard: keyboard } })
        .catch((error: unknown) => Promise.reject(channelErrorOf(error)));
      return { message_id: String(sent.message_id) };
    }
    if (method === 'channel.edit') {
      const edit = editMessageOf(params);
      // The new text, and no keyboard: the buttons go with the question.
      await bot.api
        .editMessageText(edit.chat, Number(edit.message_id), edit.text, { reply_markup: { inline_keyboard: [] } })
        .catch((error: unknown) => Promise.reject(channelErrorOf(error)));
      return {};
    }
    if (method !== 'channel.outbound') throw new ChannelError(-32601, `no method ${method}`, false);
    const out = outboundOf(params);
    try {
      const sent = await bot.api.sendMessage(out.chat, out.text, {
        ...(out.reply_to
          ? { reply_parameters: { message_id: Number(out.reply_to), allow_sending_without_reply: true } }
          : {}),
        ...(out.thread ? { message_thread_id: Number(out.thread) } : {}),
      });
      return { message_id: String(sent.message_id) };
    } catch (error) {
      throw channelErrorOf(error);
    }
  };
  let ended = false;
  const rpc = new LineRpc(
    io.input,
    io.output,
    handle,
    (why) => !ended && options.onFatal(`the kernel's side closed: ${why}`),
  );
  bot.on('message', async (ctx) => {
    let answer: { status?: InboundStatus } | null;
    try {
      answer = await rpc.request<{ status?: InboundStatus } | null>('channel.inbound', inboundOf(account, ctx.message));
    } catch (error) {
      options.onFatal(
        `message ${ctx.message.message_id} not handed over: ${error instanceof Error ? error.message : String(error)}`,
      );
      return never();
    }
    if (!answer?.status || !['accepted', 'duplicate', 'dropped'].includes(answer.status)) {
      options.onFatal(`the kernel answered channel.inbound with ${JSON.stringify(answer).slice(0, 200)}`);
      return never();
    }
  });
  // A button pressed (issue 52): the kernel decides, and says what the presser is shown.
  bot.on('callback_query:data', async (ctx) => {
    const q = ctx.callbackQuery;
    const message = q.message;
    let answer: { text?: unknown } | null = null;
    try {
      answer = await rpc.request<{ text?: unknown } | null>('channel.callback', {
        channel: 'telegram',
        account,
        chat: message ? String(message.chat.id) : '',
        sender: { id: String(q.from.id), name: [q.from.first_name, q.from.last_name].filter(Boolean).join(' ') },
        message_id: message ? String(message.message_id) : '',
        data: q.data,
      });
    } catch (error) {
      answer = { text: `not handed over: ${error instanceof Error ? error.message : String(error)}` };
    }
    const text = typeof answer?.text === 'string' ? answer.text.slice(0, 200) : '';
    await ctx.answerCallbackQuery(text ? { text } : {}).catch(() => undefined);
  });
  bot.catch((error) => {
    rpc.notify('channel.status', { state: 'error', error: error.message });
    options.onFatal(error.message);
    return never();
  });
  const done = bot
    .start({
      timeout: options.pollTimeoutS ?? 30,
      allowed_updates: ['message', 'callback_query'],
      onStart: (me) => {
        account = me.username;
        rpc.notify('channel.hello', { protocol: CHANNEL_PROTOCOL, channel: 'telegram', account });
        rpc.notify('channel.status', { state: 'polling' });
      },
    })
    .finally(() => {
      ended = true;
      rpc.close('the adapter stopped');
    });
  return { done };
}
