/**
 * Senders nobody let in (issue 34): never delivered. A channel set to `unknown: drop` drops their
 * messages; one set to `pair` (the default) holds them and gives the sender a pairing code, once:
 * a person who runs `aos channel pair <code>` lets the sender in, and what was held is delivered.
 * Each unknown sender leaves one audit record, however many messages it sends.
 */
import { customAlphabet } from 'nanoid';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { InboundStatus } from '../../drivers/channels/protocol.js';
import type { PairingRecord, SenderRecord } from '../store/api.js';
import type { ChannelsState, InboundMessage, LiveChannel } from './host.js';
import { senderKey } from './host.js';
import { note, noteOut } from './record.js';

/** Eight characters without look-alikes (0/O, 1/I/L): ~40 bits, read aloud or typed from a phone. */
const newCode = customAlphabet('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 8);

function pendingOf(state: ChannelsState, channel: string, sender: string): PairingRecord | null {
  for (const p of state.pairings.values()) if (p.channel === channel && p.sender === sender) return p;
  return null;
}

export async function unknownSender(
  state: ChannelsState,
  live: LiveChannel,
  m: InboundMessage,
): Promise<InboundStatus> {
  const { host } = state;
  const name = live.spec.name;
  const subject = `${name}/${m.sender.id}`;
  const auditOnce = (reason: string): void => {
    if (live.audited.has(m.sender.id)) return;
    live.audited.add(m.sender.id);
    host.audit({
      pid: 0,
      call: 'CHANNEL',
      subject,
      decision: 'deny',
      rule: `channel ${name}: unknown ${live.spec.unknown}`,
      decided_by: 'policy',
      reason,
    });
  };
  if (live.spec.unknown === 'drop') {
    auditOnce(`unpaired sender ${m.sender.name || m.sender.id} in chat ${m.chat}: dropped (unknown: drop)`);
    note(state, live, m, { status: 'dropped' });
    return 'dropped';
  }
  expire(state, Date.now());
  const pending = pendingOf(state, name, m.sender.id);
  if (pending) {
    const held = JSON.parse(pending.held) as InboundMessage[];
    if (held.length >= param.channelHeldMax) {
      note(state, live, m, {
        status: 'dropped',
        reason: `${param.channelHeldMax} messages are held already for pairing ${pending.code}`,
      });
      return 'dropped';
    }
    pending.held = JSON.stringify([...held, m]);
    host.store.channels.putPairing(pending);
    note(state, live, m, { status: 'held' });
    return 'dropped';
  }
  if ([...state.pairings.values()].filter((p) => p.channel === name).length >= param.channelMaxPendingPairings) {
    auditOnce(
      `unpaired sender ${m.sender.name || m.sender.id} in chat ${m.chat}: dropped (${param.channelMaxPendingPairings} pairings wait already)`,
    );
    note(state, live, m, { status: 'dropped' });
    return 'dropped';
  }
  const now = Date.now();
  const code = newCode();
  const pairing: PairingRecord = {
    code,
    channel: name,
    sender: m.sender.id,
    sender_name: m.sender.name,
    chat: m.chat,
    created_at: now,
    expires_at: now + param.channelPairingTtlMs,
    held: JSON.stringify([m]),
  };
  state.pairings.set(code, pairing);
  host.store.channels.putPairing(pairing);
  // One record a sender: one turned away before (the pairings were full) is not recorded again.
  if (!live.audited.has(m.sender.id))
    host.audit({
      pid: 0,
      call: 'CHANNEL',
      subject,
      decision: 'deny',
      rule: `channel ${name}: unknown pair`,
      decided_by: 'policy',
      reason: `unpaired sender ${m.sender.name || m.sender.id} in chat ${m.chat}: held for pairing (code ${code})`,
    });
  live.audited.add(m.sender.id);
  note(state, live, m, { status: 'held' });
  // The sender is told its code, once; whether that reached it changes nothing here.
  const text = `This agent does not know you yet. Your pairing code is ${code}: its operator lets you in with \`aos channel pair ${code}\`.`;
  live.adapter
    .request<{ message_id?: unknown }>('channel.outbound', {
      ref: `pair-${code}`,
      chat: m.chat,
      ...(m.thread ? { thread: m.thread } : {}),
      text,
    })
    .then(
      (sent) =>
        noteOut(state, live, {
          chat: m.chat,
          text,
          status: 'sent',
          messageId: String(sent?.message_id ?? ''),
          pid: null,
          threadKey: null,
        }),
      (error: unknown) => {
        noteOut(state, live, { chat: m.chat, text, status: 'failed', messageId: null, pid: null, threadKey: null });
        host.log('warn', `channel ${name}: pairing code ${code} not sent to ${m.chat}: ${(error as Error).message}`);
      },
    );
  return 'dropped';
}

/** Pairings past their time go (their held messages with them). */
export function expire(state: ChannelsState, now: number): void {
  for (const p of [...state.pairings.values()]) {
    if (p.expires_at > now) continue;
    state.pairings.delete(p.code);
    state.host.store.channels.removePairing(p.code);
  }
}

/** `aos channel pair <code>`: the sender is known from now on; what it sent meanwhile is delivered, in order. */
export async function pair(
  state: ChannelsState,
  code: string,
  route: (live: LiveChannel, m: InboundMessage) => Promise<InboundStatus>,
): Promise<{ sender: SenderRecord; delivered: number }> {
  expire(state, Date.now());
  const pairing = state.pairings.get(code.trim().toUpperCase());
  if (!pairing)
    throw new AosError(
      'ENOENT',
      `no pairing waits with code ${code} (codes last ${param.channelPairingTtlMs / 3600_000} h; aos channel show <name> lists them)`,
    );
  const live = state.channels.get(pairing.channel);
  if (!live) throw new AosError('ENOENT', `pairing ${code} is of channel ${pairing.channel}, which was removed`);
  state.pairings.delete(pairing.code);
  state.host.store.channels.removePairing(pairing.code);
  const sender: SenderRecord = {
    channel: pairing.channel,
    sender: pairing.sender,
    name: pairing.sender_name,
    paired_at: Date.now(),
  };
  state.senders.set(senderKey(sender.channel, sender.sender), sender);
  state.host.store.channels.putSender(sender);
  live.audited.delete(sender.sender);
  state.host.audit({
    pid: 0,
    call: 'CHANNEL',
    subject: `${sender.channel}/${sender.sender}`,
    decision: 'allow',
    rule: null,
    decided_by: 'person',
    reason: `sender ${sender.name || sender.sender} paired (code ${pairing.code})`,
  });
  let delivered = 0;
  for (const m of JSON.parse(pairing.held) as InboundMessage[]) {
    if ((await route(live, m)) === 'accepted') delivered++;
  }
  await state.host.store.committed();
  return { sender, delivered };
}
