/** Result shapes of the channels' methods (channel-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

/** The platforms a channel speaks to (kernel/ipc/channel-types.ts's CHANNEL_KINDS: the protocol sees no kernel). */
export const CHANNEL_KINDS = ['telegram', 'slack', 'email', 'discord', 'custom'] as const;
export const UNKNOWN_SENDERS = ['pair', 'drop'] as const;
export const CHANNEL_STATES = ['starting', 'running', 'backoff', 'stopped', 'failed'] as const;

/** A message in or out of a channel: its chat, sender and text as the platform gave them (someone else's text). */
const messageFields = {
  at: s.string,
  direction: s.oneOf(['in', 'out'] as const),
  chat: s.string,
  sender: s.nullable(s.string),
  sender_name: s.nullable(s.string),
  text: s.string,
  status: s.string,
};
export const channelMessage = s.object(messageFields);

/** A message as `channel_show` lists it: with the thread it was kept in, its platform id and the process it went to or came from. */
export const channelMessageEntry = s.object({
  ...messageFields,
  thread: s.nullable(s.string),
  message_id: s.nullable(s.string),
  pid: s.nullable(s.nonNegativeInt),
});

export const channelCounts = s.object({
  inbound: s.nonNegativeInt,
  duplicate: s.nonNegativeInt,
  dropped: s.nonNegativeInt,
  held: s.nonNegativeInt,
  outbound: s.nonNegativeInt,
  failed: s.nonNegativeInt,
});

/** A channel as `aos channel ls` lists it. */
export const channelInfo = s.object({
  name: s.string,
  kind: s.oneOf(CHANNEL_KINDS),
  token_secret: s.string,
  signing_secret: s.nullable(s.string),
  api_root: s.string,
  egress: s.array(s.string),
  unknown: s.oneOf(UNKNOWN_SENDERS),
  state: s.oneOf(CHANNEL_STATES),
  account: s.nullable(s.string),
  pid: s.nullable(s.positiveInt),
  restarts: s.nonNegativeInt,
  last_error: s.nullable(s.string),
  last_message: s.nullable(channelMessage),
  counts: channelCounts,
  events_url: s.nullable(s.string),
  bindings: s.nonNegativeInt,
  pending_pairings: s.nonNegativeInt,
});

export const bindingInfo = s.object({
  id: s.string,
  channel: s.string,
  account: s.string,
  chat: s.string,
  sender: s.string,
  unit: s.nullable(s.string),
  pid: s.nullable(s.positiveInt),
  thread: s.string,
  created_at: s.string,
  approvers: s.array(s.string),
});

export const approverSetInfo = s.object({
  id: s.string,
  channel: s.string,
  unit: s.nullable(s.string),
  rule: s.nullable(s.string),
  approvers: s.array(s.string),
  created_at: s.string,
});

export const pairingInfo = s.object({
  code: s.string,
  channel: s.string,
  sender: s.string,
  sender_name: s.string,
  chat: s.string,
  created_at: s.string,
  expires_at: s.string,
  held: s.nonNegativeInt,
});

export const pairedSender = s.object({ channel: s.string, sender: s.string, name: s.string, paired_at: s.string });

export const CHANNEL_RESULTS = {
  channel_add: s.object({ channel: channelInfo }),
  channel_rm: s.object({ channel: channelInfo }),
  channel_ls: s.object({ channels: s.array(channelInfo) }),
  channel_show: s.object({
    channel: channelInfo,
    bindings: s.array(bindingInfo),
    pairings: s.array(pairingInfo),
    senders: s.array(pairedSender),
    messages: s.array(channelMessageEntry),
  }),
  channel_bind: s.object({ binding: bindingInfo }),
  channel_unbind: s.object({ binding: bindingInfo }),
  channel_approvers_add: s.object({ set: approverSetInfo }),
  channel_approvers_ls: s.object({ sets: s.array(approverSetInfo) }),
  channel_approvers_rm: s.object({ set: approverSetInfo }),
  channel_pair: s.object({ sender: pairedSender, delivered: s.nonNegativeInt }),
  channel_test: s.object({ ok: s.literal(true), account: s.string, name: s.string, sent: s.nullable(s.string) }),
};
