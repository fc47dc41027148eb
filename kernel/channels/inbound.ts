/**
 * A message from a channel's adapter, carried out (issue 34). Deduplicated by the platform's id
 * (chat and message: the idempotency keys, scope `channel:<name>`), so a message an adapter hands
 * over twice — it died before confirming it, the platform retried — is answered "duplicate" and
 * does nothing. A sender nobody paired or named in a binding is dropped or held for pairing
 * (pairing.ts). A known sender's message is kept in its conversation's thread, then goes to the
 * bound process's stdin, or to the live run of the bound unit for that conversation, or starts a
 * run of the unit with the thread attached. The answer is given once all of it is committed: only
 * then does the adapter confirm the message to its platform.
 */
import { z } from 'zod';
import { jsonLine } from '../../sys/json-line.js';
import { neutralise } from '../../sys/outside-data.js';
import { param } from '../../sys/param.js';
import type { InboundStatus } from '../../drivers/channels/protocol.js';
import type { BindingRecord } from '../store/api.js';
import { bindingFor, threadKeyOf } from './bindings.js';
import type { ChannelsState, InboundMessage, LiveChannel, Origin } from './host.js';
import { senderKey } from './host.js';
import { unknownSender } from './pairing.js';
import { dedupKey, note } from './record.js';

const id = z.string().min(1).max(200);
const inboundSchema = z.object({
  account: z.string().max(200),
  chat: id,
  thread: z.string().max(200).nullable().optional(),
  sender: z.object({ id, name: z.string().max(200).optional(), username: z.string().max(200).optional() }),
  message_id: id,
  text: z.string(),
  attachments: z
    .array(z.object({ kind: z.string().max(40), name: z.string().max(200).optional(), size: z.number().optional() }))
    .max(50)
    .optional(),
  platform_ts: z.string().max(40).optional(),
});

type Inbound = InboundMessage;

export async function handleInbound(state: ChannelsState, live: LiveChannel, raw: unknown): Promise<InboundStatus> {
  const parsed = inboundSchema.safeParse(raw);
  if (!parsed.success) {
    // Never an error: the adapter would not confirm it and would be given it again, forever.
    note(state, live, null, { status: 'dropped' });
    state.host.log(
      'warn',
      `channel ${live.spec.name}: a message its adapter sent is malformed (${parsed.error.issues[0]?.message ?? 'invalid'}): dropped`,
    );
    return 'dropped';
  }
  // The kernel's secrets out of all of it, however they came (a sender who pasted the token, an adapter that says it).
  const d = state.host.secrets.mask(parsed.data) as typeof parsed.data;
  const cut = d.text.length > param.channelInboundMaxChars;
  const m: Inbound = {
    channel: live.spec.name,
    account: d.account,
    chat: d.chat,
    thread: d.thread ?? null,
    sender: {
      id: d.sender.id,
      name: d.sender.name ?? '',
      ...(d.sender.username ? { username: d.sender.username } : {}),
    },
    message_id: d.message_id,
    text: cut ? `${d.text.slice(0, param.channelInboundMaxChars)} [cut: ${d.text.length} characters in all]` : d.text,
    attachments: d.attachments ?? [],
    platform_ts: d.platform_ts ?? new Date().toISOString(),
  };
  const key = dedupKey(m);
  if (live.inFlight.has(key) || state.host.keys.seen(`channel:${live.spec.name}`, key) !== null) {
    live.counts.duplicate = (live.counts.duplicate ?? 0) + 1;
    return 'duplicate';
  }
  live.inFlight.add(key);
  try {
    const status = await route(state, live, m);
    await state.host.store.committed();
    return status;
  } finally {
    live.inFlight.delete(key);
  }
}

/** Where a message goes, carried out (also a held message once its sender is paired). */
export async function route(state: ChannelsState, live: LiveChannel, m: Inbound): Promise<InboundStatus> {
  const { host } = state;
  const name = live.spec.name;
  const to = { channel: name, account: m.account, chat: m.chat, sender: m.sender.id };
  const binding = bindingFor(state.bindings.values(), to);
  // Known: paired, or named by the binding it meets. One a binding elsewhere names is no stranger
  // (never asked to pair), but is let in only where a binding names it.
  const known = state.senders.has(senderKey(name, m.sender.id)) || binding?.sender === m.sender.id;
  const remember = (pid: number | null): void =>
    host.keys.remember(`channel:${name}`, dedupKey(m), pid ?? 0, param.channelDedupMs);
  if (!known) {
    remember(null);
    if ([...state.bindings.values()].some((b) => b.channel === name && b.sender === m.sender.id)) {
      note(state, live, m, {
        status: 'dropped',
        reason: 'its sender is bound only in other chats (aos channel pair, or a binding naming it here)',
      });
      return 'dropped';
    }
    return unknownSender(state, live, m);
  }
  if (!binding) {
    remember(null);
    note(state, live, m, { status: 'dropped', reason: 'no binding routes it (aos channel bind)' });
    return 'dropped';
  }
  let threadKey: string;
  try {
    threadKey = threadKeyOf(binding.thread, to);
  } catch (error) {
    remember(null);
    note(state, live, m, { status: 'dropped', reason: `binding ${binding.id}: ${(error as Error).message}` });
    return 'dropped';
  }
  host.appendThread(threadKey, { text: entryText(live, m), pid: 0, kind: 'message' });
  const pid = binding.pid ?? conversationRun(state, binding, threadKey);
  if (pid !== null) return toProcess(state, live, m, pid, threadKey, remember);
  const origin = { channel: name, chat: m.chat, thread: m.thread, message_id: m.message_id, threadKey };
  // A firing that throws (the unit removed meanwhile) is a failed start, not a message to offer again.
  const fired = await host
    .fireUnit(binding.unit ?? '', {
      eventId: `channel:${name}/${dedupKey(m)}`,
      label: `channel ${name}`,
      fields: {
        kind: 'channel',
        channel: name,
        chat: m.chat,
        sender: m.sender.id,
        sender_name: m.sender.name,
        text: m.text,
        message_id: m.message_id,
      },
      event: eventOf(live, m),
      attach: [threadKey],
      bind: (runPid) => {
        state.origins.set(runPid, origin);
        state.conversations.set(conversationKey(binding, threadKey), runPid);
        state.startedBy.set(runPid, binding.id);
      },
    })
    .catch((error: unknown) => ({ outcome: 'failed', pid: null, reason: (error as Error).message }));
  remember(fired.pid);
  const reason =
    fired.outcome === 'started'
      ? undefined
      : `unit ${binding.unit ?? ''} ${fired.outcome}${fired.reason ? `: ${fired.reason}` : ''} (the message is in thread ${threadKey})`;
  note(state, live, m, { status: 'accepted', pid: fired.pid, threadKey, ...(reason ? { reason } : {}) });
  return 'accepted';
}

/** The live run a unit binding started for this conversation, which takes its next messages. */
function conversationRun(state: ChannelsState, binding: BindingRecord, threadKey: string): number | null {
  if (binding.unit === null) return null;
  const key = conversationKey(binding, threadKey);
  const pid = state.conversations.get(key);
  if (pid === undefined) return null;
  if (state.host.isLive(pid)) return pid;
  state.conversations.delete(key);
  return null;
}

/**
 * A conversation is a binding's in a thread: two bindings sharing a chat's thread never share a run,
 * and a binding made again under an old one's name (its id) is another binding — it never takes the
 * old one's runs (channels.ts unbind forgets them too).
 */
export const conversationKey = (binding: BindingRecord, threadKey: string): string =>
  `${bindingConversations(binding)}${threadKey}`;

/** The start of every conversation key of a binding. */
export const bindingConversations = (binding: BindingRecord): string =>
  `${binding.id}\u0000${binding.created_at}\u0000`;

function toProcess(
  state: ChannelsState,
  live: LiveChannel,
  m: Inbound,
  pid: number,
  threadKey: string,
  remember: (pid: number | null) => void,
): InboundStatus {
  // Its origin when the model is shown it (Channels.shown), not now: the model may be writing its
  // answer to an earlier message. Noted before the process can read it (a blocked read takes it at once).
  const origin = { channel: live.spec.name, chat: m.chat, thread: m.thread, message_id: m.message_id, threadKey };
  const unread = state.unread.get(pid) ?? new Map<number, Origin>();
  try {
    // The person's words framed as outside data for this process (sys/outside-data.ts), which they taint.
    const event = eventOf(live, m);
    event.text = state.host.outside(pid, `${live.spec.name}/${m.chat}`, m.text);
    state.host.sendStdin(pid, `[CHANNEL::MESSAGE] ${jsonLine({ ...event, thread_key: threadKey })}`, (line) => {
      unread.set(line, origin);
      state.unread.set(pid, unread);
    });
  } catch (error) {
    remember(null);
    note(state, live, m, {
      status: 'dropped',
      threadKey,
      reason: `process ${pid}: ${(error as Error).message} (the message is in thread ${threadKey})`,
    });
    return 'dropped';
  }
  remember(pid);
  note(state, live, m, { status: 'accepted', pid, threadKey });
  return 'accepted';
}

/**
 * What an agent is told of a message. The person's words (`text`) are framed as outside data for
 * the process that reads them, where it is known (toProcess; a unit's run: units/runs.ts); their
 * chosen name keeps no marker look-alike either.
 */
export function eventOf(live: LiveChannel, m: Inbound): Record<string, string> {
  return {
    event: 'channel_message',
    channel: live.spec.name,
    platform: live.spec.kind,
    chat: m.chat,
    message_id: m.message_id,
    sender_id: m.sender.id,
    sender_name: neutralise(m.sender.name),
    ...(m.sender.username ? { sender_username: neutralise(m.sender.username) } : {}),
    text: m.text,
    ...(m.attachments.length ? { attachments: m.attachments.map((a) => a.kind).join(', ') } : {}),
    reply: `a person on ${live.spec.kind}: CHANNEL_SEND {"to": "inbound", "text": ...} answers them`,
  };
}

/**
 * The thread entry of a message: who said it, then what. The kernel's tag — the platform and the
 * sender's id — comes first, and the name the sender chose comes quoted after it: a display name
 * written to look like a tag (`Boss [telegram sender 42]: refund…`) stays inside its quotes, never
 * another sender's line.
 */
export function entryText(live: Pick<LiveChannel, 'spec'>, m: Pick<Inbound, 'sender' | 'text'>): string {
  const who = m.sender.username ? `${m.sender.name} (@${m.sender.username})` : m.sender.name || m.sender.id;
  return `[${live.spec.kind} sender ${JSON.stringify(m.sender.id)}] ${JSON.stringify(who)}: ${m.text || '(no text)'}`.slice(
    0,
    param.threadEntryMaxChars,
  );
}
