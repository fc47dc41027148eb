/**
 * The channel adapter protocol (issue 34): what an adapter — Telegram, Slack, or a third party's
 * Discord or email one — and the kernel say to each other, JSON-RPC 2.0, one message per line on
 * the adapter's stdin (from the kernel) and stdout (to it). An adapter needs nothing of aos but
 * this:
 *
 *   adapter → kernel  channel.hello    (notification) {protocol: 1, channel, account}
 *   adapter → kernel  channel.inbound  (request)      {channel, account, chat, thread, sender: {id, name, username?},
 *                                                      message_id, text, attachments: [], platform_ts}
 *                     → {status: "accepted" | "duplicate" | "dropped"}, answered once the kernel has
 *                     committed what it does with the message: the adapter confirms the message to
 *                     its platform (Telegram's offset, Slack's ack) only after this answer, so a
 *                     crash in between delivers it again, and the kernel answers that "duplicate".
 *   adapter → kernel  channel.status   (notification) {state: "polling" | "error", error?}
 *   kernel → adapter  channel.outbound (request)      {ref, chat, thread?, text, reply_to?}
 *                     → {message_id}, or an error {code, message, data: {retryable}}: retryable
 *                     only when the platform surely sent nothing (a 429, a refused connection).
 *   kernel → adapter  channel.test     (request)      {} → {account, name}: who the adapter is on its
 *                     platform (Telegram's getMe, Slack's auth.test); an error when it cannot tell.
 *   kernel → adapter  channel.http     (request)      {method, path, headers, body} → {status, body,
 *                     content_type?}: a request the kernel's gateway received for this channel (a
 *                     platform that pushes events, as Slack's Events API does), its headers raw
 *                     (lowercase names) so the adapter can check the platform's signature itself.
 *                     The adapter sends channel.inbound for what it holds and answers after.
 *   kernel → adapter  channel.approval (request)      {ref, chat, text, buttons: [{label, data}]} → {message_id, chat?}:
 *                     a message with buttons (Telegram's inline keyboard, Slack's block actions);
 *                     a button pressed comes back as channel.callback with its `data`; `chat`: where it
 *                     landed when that is another id (a Slack user's direct message channel).
 *   kernel → adapter  channel.edit     (request)      {chat, message_id, text} → {}: the message's text
 *                     replaced and its buttons taken away (editMessageText, chat.update).
 *   adapter → kernel  channel.callback (request)      {channel, account, chat, sender: {id, name}, message_id, data}
 *                     → {text}: a button pressed (Telegram's callback_query, Slack's block_actions, its
 *                     signature checked first); the adapter shows `text` to whoever pressed it.
 *
 * Ids are the platform's, as strings: chat and message ids are not always numbers (Slack's are not).
 */
import type { Readable, Writable } from 'node:stream';

export const CHANNEL_PROTOCOL = 1;
/** A line longer than this ends the conversation (a runaway adapter). */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface InboundMessage {
  channel: string;
  account: string;
  chat: string;
  thread: string | null;
  sender: { id: string; name: string; username?: string };
  message_id: string;
  text: string;
  attachments: Array<{ kind: string; name?: string; size?: number }>;
  /** The platform's time for the message (ISO). */
  platform_ts: string;
}

export type InboundStatus = 'accepted' | 'duplicate' | 'dropped';

export interface OutboundMessage {
  /** The kernel's name for this send (its audit and retry key). */
  ref: string;
  chat: string;
  thread?: string | null;
  text: string;
  reply_to?: string | null;
}

/** A message with buttons (issue 52: an approval request); `data` comes back in a channel.callback. */
export interface ButtonMessage {
  ref: string;
  chat: string;
  text: string;
  buttons: Array<{ label: string; data: string }>;
}

/** A sent message's text replaced, its buttons taken away. */
export interface EditMessage {
  chat: string;
  message_id: string;
  text: string;
}

/** A button pressed: on which message, by whom, its `data`. */
export interface CallbackMessage {
  channel: string;
  account: string;
  chat: string;
  sender: { id: string; name: string };
  message_id: string;
  data: string;
}

/** Telegram's callback_data holds 64 bytes: a button's data is at most this. */
export const MAX_BUTTON_DATA = 64;

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** channel.approval's params, checked (an adapter's side). */
export function buttonMessageOf(params: unknown): ButtonMessage {
  const p = params as Partial<ButtonMessage> | null;
  if (!p || !nonEmpty(p.ref) || !nonEmpty(p.chat) || !nonEmpty(p.text) || !Array.isArray(p.buttons))
    throw new ChannelError(-32602, 'channel.approval needs {ref, chat, text, buttons}', false);
  for (const b of p.buttons as unknown[]) {
    const button = b as { label?: unknown; data?: unknown } | null;
    if (!button || !nonEmpty(button.label) || !nonEmpty(button.data) || button.data.length > MAX_BUTTON_DATA)
      throw new ChannelError(
        -32602,
        `a button needs {label, data}, its data at most ${MAX_BUTTON_DATA} characters`,
        false,
      );
  }
  return p as ButtonMessage;
}

/** channel.edit's params, checked (an adapter's side). */
export function editMessageOf(params: unknown): EditMessage {
  const p = params as Partial<EditMessage> | null;
  if (!p || !nonEmpty(p.chat) || !nonEmpty(p.message_id) || !nonEmpty(p.text))
    throw new ChannelError(-32602, 'channel.edit needs {chat, message_id, text}', false);
  return p as EditMessage;
}

export interface HttpForward {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
  content_type?: string;
}

export class ChannelError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

type Handler = (method: string, params: unknown) => Promise<unknown>;

/**
 * One end of the conversation over a pair of streams: requests each way, answered by id;
 * notifications; every line bounded. `onClose` runs once when the other side goes (its stream ends).
 */
export class LineRpc {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private buffer = '';
  private closed = false;

  constructor(
    input: Readable,
    private readonly output: Writable,
    private readonly handle: Handler,
    private readonly onClose: (why: string) => void = () => undefined,
  ) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.take(chunk));
    input.on('end', () => this.close('the other side closed its stream'));
    input.on('error', (error: Error) => this.close(error.message));
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`cannot send ${method}: the conversation is closed`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const { reject } of this.waiting.values()) reject(new Error(why));
    this.waiting.clear();
    this.onClose(why);
  }

  private write(message: unknown): void {
    if (!this.closed) this.output.write(`${JSON.stringify(message)}\n`);
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\n'); end >= 0; end = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      if (line.trim()) this.dispatch(line);
    }
    if (Buffer.byteLength(this.buffer) > MAX_LINE_BYTES) this.close(`a line longer than ${MAX_LINE_BYTES} bytes`);
  }

  private dispatch(line: string): void {
    let message: {
      id?: unknown;
      method?: unknown;
      params?: unknown;
      result?: unknown;
      error?: { code?: number; message?: string; data?: { retryable?: boolean } };
    };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return this.close(`not JSON: ${line.slice(0, 80)}`);
    }
    // `null`, a number, an array: JSON, but no message (read as one, it would throw in a stream's handler).
    if (typeof message !== 'object' || message === null || Array.isArray(message))
      return this.close(`not a JSON-RPC message: ${line.slice(0, 80)}`);
    if (typeof message.method === 'string') {
      const { id, method } = message;
      void this.handle(method, message.params).then(
        (result) => id !== undefined && this.write({ jsonrpc: '2.0', id, result: result ?? null }),
        (error: unknown) => {
          const e =
            error instanceof ChannelError
              ? error
              : new ChannelError(-32000, error instanceof Error ? error.message : String(error), false);
          if (id !== undefined)
            this.write({
              jsonrpc: '2.0',
              id,
              error: { code: e.code, message: e.message, data: { retryable: e.retryable } },
            });
        },
      );
      return;
    }
    const waiter = typeof message.id === 'number' ? this.waiting.get(message.id) : undefined;
    if (!waiter) return;
    this.waiting.delete(message.id as number);
    if (message.error)
      waiter.reject(
        new ChannelError(
          message.error.code ?? -32000,
          message.error.message ?? 'error',
          message.error.data?.retryable === true,
        ),
      );
    else waiter.resolve(message.result);
  }
}
