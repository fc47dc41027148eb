/** A channel's message in, recorded: its row, the channel's last message and its counts. */
import { param } from '../../sys/param.js';
import { type ChannelsState, type InboundMessage, type LiveChannel, senderKey } from './host.js';

/** The dedup key of a message: a platform's message ids are unique within a chat (a JSON array: no id can spell two). */
export const dedupKey = (m: InboundMessage): string => JSON.stringify([m.account, m.chat, m.message_id]);

/** Record a message in or out: its row, the channel's last message and counts. */
export function note(
  state: ChannelsState,
  live: LiveChannel,
  m: InboundMessage | null,
  row: { status: string; pid?: number | null; threadKey?: string | null; reason?: string },
): void {
  const at = Date.now();
  const channel = live.spec.name;
  const counted = row.status === 'accepted' ? 'inbound' : row.status;
  live.counts[counted] = (live.counts[counted] ?? 0) + 1;
  if (m === null) return;
  if (row.status === 'accepted') state.known.add(senderKey(channel, m.chat));
  live.last = {
    at,
    direction: 'in',
    chat: m.chat,
    sender: m.sender.id,
    sender_name: m.sender.name,
    text: m.text.slice(0, 500),
    status: row.status,
  };
  state.host.store.channels.addMessage(
    {
      channel,
      direction: 'in',
      chat: m.chat,
      thread: row.threadKey ?? null,
      platform_thread: m.thread,
      message_id: m.message_id,
      sender: m.sender.id,
      sender_name: m.sender.name,
      text: m.text,
      status: row.status,
      pid: row.pid ?? null,
      at,
    },
    param.channelMessagesKept,
  );
  if (row.reason)
    state.host.log(
      'info',
      `channel ${channel}: message ${m.message_id} from ${m.sender.id} in ${m.chat} ${row.status}: ${row.reason}`,
    );
}

/** A message out (a process's send, a pairing code): its row, the channel's last message and counts. */
export function noteOut(
  state: ChannelsState,
  live: LiveChannel,
  out: {
    chat: string;
    text: string;
    status: string;
    messageId: string | null;
    pid: number | null;
    threadKey: string | null;
  },
): void {
  const at = Date.now();
  const counted = out.status === 'sent' ? 'outbound' : out.status;
  live.counts[counted] = (live.counts[counted] ?? 0) + 1;
  live.last = {
    at,
    direction: 'out',
    chat: out.chat,
    sender: null,
    sender_name: null,
    text: out.text.slice(0, 500),
    status: out.status,
  };
  state.host.store.channels.addMessage(
    {
      channel: live.spec.name,
      direction: 'out',
      chat: out.chat,
      thread: out.threadKey,
      platform_thread: null,
      message_id: out.messageId,
      sender: null,
      sender_name: null,
      text: out.text,
      status: out.status,
      pid: out.pid,
      at,
    },
    param.channelMessagesKept,
  );
}
