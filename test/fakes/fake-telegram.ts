/**
 * A fake Telegram Bot API on loopback, for channel adapters' tests (issue 34): `POST
 * /bot<token>/<method>` with the methods an adapter uses — getMe, deleteWebhook, getUpdates (long
 * polling: an offset confirms every update below it, as Telegram does; unconfirmed updates come
 * again), sendMessage, and for buttons editMessageText and answerCallbackQuery (`press` makes a
 * callback_query) — with the Bot API's response shapes. A wrong token is 401.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTelegram {
  port: number;
  apiRoot: string;
  /** A user's text message in a chat (update_id and message_id counted up), to the next getUpdates: its ids. */
  push(
    chatId: number,
    text: string,
    from?: { id: number; first_name: string; username?: string },
  ): { update: number; message: number };
  /** What sendMessage was given, in order. */
  sent: Array<{
    chat_id: number | string;
    text: string;
    reply_parameters?: { message_id: number };
    reply_to_message_id?: number;
    reply_markup?: { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };
  }>;
  /** A user pressed a button of message `messageId` in chat `chatId` (a callback_query update): its update id. */
  press(chatId: number, messageId: number, data: string, from?: { id: number; first_name: string }): number;
  /** What editMessageText was given, in order. */
  edited: Array<{ chat_id: number | string; message_id: number; text: string; reply_markup?: unknown }>;
  /** What answerCallbackQuery was given, in order. */
  answered: Array<{ callback_query_id: string; text?: string }>;
  /** Every method called, in order. */
  calls: string[];
  /** Updates up to here are confirmed (an offset past them was asked for). */
  confirmed(): number;
  close(): Promise<void>;
}

interface Update {
  update_id: number;
  callback_query?: {
    id: string;
    from: { id: number; is_bot: false; first_name: string };
    chat_instance: string;
    data: string;
    message: { message_id: number; chat: { id: number; type: 'private' }; date: number; text: string };
  };
  message?: {
    message_id: number;
    from: { id: number; is_bot: false; first_name: string; username?: string };
    chat: { id: number; type: 'private' | 'group' };
    date: number;
    text: string;
  };
}

export async function startFakeTelegram(token: string): Promise<FakeTelegram> {
  const updates: Update[] = [];
  const sent: FakeTelegram['sent'] = [];
  const edited: FakeTelegram['edited'] = [];
  const answered: FakeTelegram['answered'] = [];
  const calls: string[] = [];
  const waiting = new Set<() => void>();
  let confirmed = 0;
  let nextUpdate = 100;
  let nextMessage = 1;
  const reply = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec((req.url ?? '').split('?')[0] ?? '');
      if (!match || match[1] !== token)
        return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const method = match[2] ?? '';
      calls.push(method);
      const p = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      switch (method) {
        case 'getMe':
          return reply(res, 200, {
            ok: true,
            result: {
              id: 42,
              is_bot: true,
              first_name: 'Fake',
              username: 'fake_bot',
              can_join_groups: true,
              can_read_all_group_messages: false,
              supports_inline_queries: false,
            },
          });
        case 'deleteWebhook':
          return reply(res, 200, { ok: true, result: true });
        case 'getUpdates': {
          if (typeof p.offset === 'number') confirmed = Math.max(confirmed, p.offset - 1);
          const pending = (): Update[] =>
            updates.filter((u) => u.update_id > confirmed).slice(0, typeof p.limit === 'number' ? p.limit : 100);
          const timeout = typeof p.timeout === 'number' ? p.timeout : 0;
          if (pending().length > 0 || timeout === 0) return reply(res, 200, { ok: true, result: pending() });
          const done = (): void => {
            clearTimeout(timer);
            waiting.delete(done);
            if (!res.writableEnded) reply(res, 200, { ok: true, result: pending() });
          };
          const timer = setTimeout(done, timeout * 1000);
          waiting.add(done);
          req.socket.once('close', () => {
            clearTimeout(timer);
            waiting.delete(done);
          });
          return;
        }
        case 'sendMessage': {
          sent.push(p as FakeTelegram['sent'][number]);
          const message = {
            message_id: nextMessage++,
            from: { id: 42, is_bot: true, first_name: 'Fake', username: 'fake_bot' },
            chat: { id: p.chat_id, type: 'private' },
            date: Math.floor(Date.now() / 1000),
            text: p.text,
          };
          return reply(res, 200, { ok: true, result: message });
        }
        case 'editMessageText':
          edited.push(p as FakeTelegram['edited'][number]);
          return reply(res, 200, {
            ok: true,
            result: { message_id: p.message_id, chat: { id: p.chat_id, type: 'private' }, date: 0, text: p.text },
          });
        case 'answerCallbackQuery':
          answered.push(p as FakeTelegram['answered'][number]);
          return reply(res, 200, { ok: true, result: true });
        default:
          return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    apiRoot: `http://127.0.0.1:${port}`,
    push(chatId, text, from = { id: chatId, first_name: `user${chatId}` }) {
      const message_id = nextMessage++;
      const update: Update = {
        update_id: nextUpdate++,
        message: {
          message_id,
          from: { ...from, is_bot: false },
          chat: { id: chatId, type: 'private' },
          date: Math.floor(Date.now() / 1000),
          text,
        },
      };
      updates.push(update);
      for (const wake of [...waiting]) wake();
      return { update: update.update_id, message: message_id };
    },
    press(chatId, messageId, data, from = { id: chatId, first_name: `user${chatId}` }) {
      const update: Update = {
        update_id: nextUpdate++,
        callback_query: {
          id: `cq${nextUpdate}`,
          from: { ...from, is_bot: false },
          chat_instance: `ci${chatId}`,
          data,
          message: { message_id: messageId, chat: { id: chatId, type: 'private' }, date: 0, text: '' },
        },
      };
      updates.push(update);
      for (const wake of [...waiting]) wake();
      return update.update_id;
    },
    sent,
    edited,
    answered,
    calls,
    confirmed: () => confirmed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const wake of [...waiting]) wake();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
