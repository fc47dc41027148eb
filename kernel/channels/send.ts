/**
 * CHANNEL_SEND (issue 34): a process answers the person who wrote to it (`to: "inbound"`, the last
 * message it was handed) or writes to a binding's chat (`to: "<binding id>"`). Its capability is
 * `channel:<name>`, checked with the call's other rules at the gate (an `ask: "channel:tg"` rule
 * makes a person approve each send). A send the platform surely did not carry out (a 429, the
 * adapter restarting) is tried again; one that may have gone out is never sent twice: it is
 * recorded "uncertain" and audited, since no platform takes an idempotency key for a message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { ChannelError } from '../../drivers/channels/protocol.js';
import { type ChannelsState, type LiveChannel, type Origin, senderKey } from './host.js';
import { keySegment } from './bindings.js';
import { noteOut } from './record.js';

export interface SendRequest {
  to: string;
  text: string;
  /** Reply to the message it answers (`to: "inbound"`), or to a message id of that chat. */
  reply_to?: string | boolean;
}

export interface SendAnswer {
  channel: string;
  chat: string;
  message_id: string;
}

interface Target {
  live: LiveChannel;
  chat: string;
  thread: string | null;
  threadKey: string | null;
  /** The message it answers (to: "inbound"), for reply_to: true. */
  messageId: string | null;
}

/**
 * Where each process's CHANNEL_SEND was found to go when the gate checked it: the send goes there,
 * whatever arrived while a person decided (an approval for chat 5 is never a send to chat 6).
 */
const pinned = new WeakMap<ChannelsState, Map<number, { to: string; target: Target }>>();
function pins(state: ChannelsState): Map<number, { to: string; target: Target }> {
  let map = pinned.get(state);
  if (!map) pinned.set(state, (map = new Map()));
  return map;
}

/** A process ended: its pinned send goes. */
export function forgetPin(state: ChannelsState, pid: number): void {
  pins(state).delete(pid);
}

/**
 * What a send is, for the gate: `<name>/<chat>`, or `<name>/new/<chat>` when the channel never
 * heard from that chat nor wrote to it (a rule `ask: "channel:tg/new/**"` has a person approve
 * each first message to a new recipient). The chat is one segment (keySegment).
 */
export function channelOf(state: ChannelsState, pid: number, to: string): string {
  const t = target(state, pid, to);
  pins(state).set(pid, { to, target: t });
  const name = t.live.spec.name;
  return state.known.has(senderKey(name, t.chat))
    ? `${name}/${keySegment(t.chat)}`
    : `${name}/new/${keySegment(t.chat)}`;
}

function target(state: ChannelsState, pid: number, to: string): Target {
  let origin: Origin | undefined;
  if (to === 'inbound') {
    origin = state.origins.get(pid);
    if (!origin)
      throw new AosError('ENOENT', 'CHANNEL_SEND to "inbound": no channel message was handed to this process');
  } else {
    const binding = state.bindings.get(to);
    if (!binding) throw new AosError('ENOENT', `CHANNEL_SEND: no binding ${to} (to is "inbound" or a binding id)`);
    if (binding.chat === '*')
      throw new AosError(
        'EINVAL',
        `CHANNEL_SEND: binding ${binding.id} names no chat (it matches any), so it says nowhere to write`,
      );
    origin = { channel: binding.channel, chat: binding.chat, thread: null, message_id: '', threadKey: null };
  }
  const live = state.channels.get(origin.channel);
  if (!live) throw new AosError('ENOENT', `CHANNEL_SEND: channel ${origin.channel} has been removed`);
  return {
    live,
    chat: origin.chat,
    thread: origin.thread,
    threadKey: origin.threadKey,
    messageId: origin.message_id || null,
  };
}

export async function channelSend(
  state: ChannelsState,
  pid: number,
  request: SendRequest,
  signal?: AbortSignal,
): Promise<SendAnswer> {
  const pin = pins(state).get(pid);
  pins(state).delete(pid);
  const t = pin && pin.to === request.to ? pin.target : target(state, pid, request.to);
  const name = t.live.spec.name;
  const replyTo =
    request.reply_to === true ? t.messageId : typeof request.reply_to === 'string' ? request.reply_to : null;
  const ref = `${pid}-${Date.now().toString(36)}`;
  const params = {
    ref,
    chat: t.chat,
    ...(t.thread ? { thread: t.thread } : {}),
    text: request.text,
    ...(replyTo ? { reply_to: replyTo } : {}),
  };
  let failure: ChannelError | null = null;
  for (let attempt = 1; attempt <= param.channelSendAttempts; attempt++) {
    // An adapter on its way up (the kernel just started, a restart after a crash) is waited for: a
    // send a person approved is not refused for the seconds its adapter takes to come up.
    if (t.live.adapter.coming) await t.live.adapter.ready(param.channelRequestTimeoutMs).catch(() => undefined);
    // Checked where the send happens, after every wait (a person deciding, the adapter, a retry's pause).
    stillThere(state, t, request.to);
    try {
      const sent = await t.live.adapter.request<{ message_id?: unknown }>('channel.outbound', params);
      const messageId = String(
        state.host.secrets.mask(
          typeof sent?.message_id === 'string' ? sent.message_id : String(sent?.message_id ?? ''),
        ),
      ).slice(0, 200);
      record(state, t, pid, request.text, 'sent', messageId);
      return { channel: name, chat: t.chat, message_id: messageId };
    } catch (error) {
      failure = error instanceof ChannelError ? error : new ChannelError(-32000, (error as Error).message, false);
      if (!failure.retryable || attempt === param.channelSendAttempts || signal?.aborted) break;
      await sleep(param.channelRestartDelayMs * attempt, undefined, signal ? { signal } : {}).catch(() => undefined);
    }
  }
  const why = failure?.message ?? 'unknown';
  const status = failure?.retryable
    ? 'failed'
    : why.includes('went away') || why.includes('did not answer')
      ? 'uncertain'
      : 'failed';
  record(state, t, pid, request.text, status, null);
  state.host.audit({
    pid,
    call: 'CHANNEL_SEND',
    subject: `${name}/${t.chat}`,
    decision: 'allow',
    rule: null,
    decided_by: 'policy',
    reason: `${status}: ${why}`,
  });
  if (status === 'uncertain')
    throw new AosError(
      'EIO',
      `CHANNEL_SEND to ${name} chat ${t.chat} may or may not have been delivered (${why}); it is not sent again by itself`,
    );
  throw new AosError(failure?.retryable ? 'EAGAIN' : 'EIO', `CHANNEL_SEND to ${name} chat ${t.chat} failed: ${why}`);
}

/**
 * The send's target as the gate allowed it still exists: its channel is the same one (not removed,
 * nor removed and added again under its name), and a binding it was addressed by is still bound to
 * that chat. What an operator removed while a person approved or an adapter came up is not written to.
 */
function stillThere(state: ChannelsState, t: Target, to: string): void {
  const name = t.live.spec.name;
  if (state.channels.get(name) !== t.live)
    throw new AosError('ENOENT', `CHANNEL_SEND: channel ${name} has been removed`);
  if (to === 'inbound') return;
  const binding = state.bindings.get(to);
  if (!binding || binding.channel !== name || binding.chat !== t.chat)
    throw new AosError('ENOENT', `CHANNEL_SEND: binding ${to} has been removed`);
}

function record(
  state: ChannelsState,
  t: Target,
  pid: number,
  text: string,
  status: string,
  messageId: string | null,
): void {
  noteOut(state, t.live, { chat: t.chat, text, status, messageId, pid, threadKey: t.threadKey });
  if (status === 'sent') state.known.add(senderKey(t.live.spec.name, t.chat));
  if (status === 'sent' && t.threadKey)
    state.host.appendThread(t.threadKey, {
      text: `reply by pid ${pid}: ${text}`.slice(0, param.threadEntryMaxChars),
      pid,
      kind: 'message',
    });
}
