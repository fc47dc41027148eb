/**
 * Channels (issue 34) as the rest of aos sees them: what a channel, a binding, a pairing and a
 * message are, and the API the daemon's methods call (kernel.channels, kernel/ipc/channels.ts).
 * Ids from a platform are strings (Slack's are not numbers).
 */

import { ADAPTER_MAINS, type AdapterKind } from '../../drivers/channels/programs.js';
import type { BindingRecord } from '../store/api.js';

/** The first-party adapters, and `custom`: a program of a third party's speaking the channel protocol (drivers/channels/protocol.ts). */
export const CHANNEL_KINDS = [...(Object.keys(ADAPTER_MAINS) as AdapterKind[]), 'custom' as const];
export type ChannelKind = AdapterKind | 'custom';

/** What a message from a sender nobody paired or bound gets: nothing (drop), or a pairing code (pair). */
export type UnknownSenders = 'drop' | 'pair';

/** `aos channel add`: what a person declares. */
export interface ChannelSpec {
  /** The channel's name in aos (`tg`, `slack-work`): capabilities `channel:<name>`, scopes, the CLI. */
  name: string;
  kind: ChannelKind;
  /** The policy secret holding the bot token (its `channels:` must list this channel). */
  token_secret: string;
  /** Slack: the policy secret holding the app's signing secret (its `channels:` must list this channel). */
  signing_secret?: string | null;
  /** The platform's API root (a fake's in tests): Telegram https://api.telegram.org, Slack https://slack.com/api. */
  api_root?: string;
  unknown?: UnknownSenders;
  /** custom: the adapter's program (an absolute path) and its arguments. */
  command?: string[];
  /** custom: host paths its sandbox reads (its program's directory is always one). */
  read?: string[];
  /** custom: the host:port it may reach (`discord.com:443`, `*.example.com:443`); the first-party kinds' is their API root's. */
  egress?: string[];
  /** email: its servers, login and address (the password is `token_secret`'s). */
  email?: EmailSpec | null;
}

/** An email channel's mailbox (issue 53): IMAP in, SMTP out, as URLs; the login; the channel's address. */
export interface EmailSpec {
  imap: string;
  smtp: string;
  user: string;
  address: string;
}

export type ChannelState = 'starting' | 'running' | 'backoff' | 'stopped' | 'failed';

export interface ChannelMessageInfo {
  at: string;
  direction: 'in' | 'out';
  chat: string;
  /** The sender's platform id, and the name it gave (null for a message out). */
  sender: string | null;
  sender_name: string | null;
  text: string;
  /** in: accepted, duplicate, dropped, held; out: sent, failed, uncertain. */
  status: string;
}

export interface ChannelInfo {
  name: string;
  kind: ChannelKind;
  token_secret: string;
  signing_secret: string | null;
  api_root: string;
  egress: string[];
  unknown: UnknownSenders;
  state: ChannelState;
  /** The account the adapter is (the bot's id or Slack team/bot), once it said hello. */
  account: string | null;
  /** The sandbox's pid (its process group) while the adapter runs. */
  pid: number | null;
  restarts: number;
  /** Why it last failed (its stderr's last line, a refused start), secrets masked; null when it never did. */
  last_error: string | null;
  last_message: ChannelMessageInfo | null;
  counts: { inbound: number; duplicate: number; dropped: number; held: number; outbound: number; failed: number };
  /** Slack's Events API: the URL to give Slack (null for Telegram, or while no gateway listens). */
  events_url: string | null;
  bindings: number;
  pending_pairings: number;
}

/** `aos channel bind`: which messages go where. `*` (or absent) matches any. */
export interface BindingSpec {
  /** Its id, which CHANNEL_SEND's `to` names (`alerts`); a random `b-…` when absent. */
  name?: string;
  channel: string;
  account?: string;
  chat?: string;
  sender?: string;
  /** Exactly one of unit (a run per message, the thread attached) and pid (a live process's stdin). */
  unit?: string | null;
  pid?: number | null;
  /** The thread the conversation is kept in: a template of {channel} {account} {chat} {sender} (default `chat:{channel}:{chat}`). */
  thread?: string | null;
  /** Paired senders who may decide its processes' approvals from the chat (issue 52; docs/channels.md). */
  approvers?: string[];
}

/** Approvers of a channel for a unit's runs or a rule's requests (issue 52; kernel/channels/approver-sets.ts). */
export interface ApproverSetSpec {
  channel: string;
  /** Exactly one of unit (its runs and their descendants) and rule (its requests, as `aos approvals` shows the rule). */
  unit?: string;
  rule?: string;
  approvers: string[];
}

export interface ApproverSetsApi {
  add(spec: ApproverSetSpec): Promise<ApproverSetInfo>;
  remove(id: string): Promise<ApproverSetInfo>;
  list(channel?: string): ApproverSetInfo[];
}

/** An approver set as shown. */
export interface ApproverSetInfo {
  id: string;
  channel: string;
  unit: string | null;
  rule: string | null;
  approvers: string[];
  created_at: string;
}

/** A binding as shown: its stored row (`*` where it matches every one), its time as ISO. */
export type BindingInfo = Omit<BindingRecord, 'created_at' | 'approvers'> & { created_at: string; approvers: string[] };

export interface PairingInfo {
  code: string;
  channel: string;
  sender: string;
  sender_name: string;
  chat: string;
  created_at: string;
  expires_at: string;
  /** Messages held for delivery once paired. */
  held: number;
}

export interface PairedSender {
  channel: string;
  sender: string;
  name: string;
  paired_at: string;
}

/** What the daemon's methods ask of the kernel's channels. */
export interface ChannelsApi {
  add(spec: ChannelSpec): Promise<ChannelInfo>;
  remove(name: string): Promise<ChannelInfo>;
  list(): ChannelInfo[];
  info(name: string): ChannelInfo;
  bind(spec: BindingSpec): Promise<BindingInfo>;
  unbind(id: string): Promise<BindingInfo>;
  bindings(channel?: string): BindingInfo[];
  /** Approvers for a unit's runs or a rule's requests (`aos channel approvers`). */
  readonly approvers: ApproverSetsApi;
  pairings(channel?: string): PairingInfo[];
  /** A person approves a pairing code: the sender is known from now on, its held messages are delivered. */
  pair(code: string): Promise<{ sender: PairedSender; delivered: number }>;
  senders(channel?: string): PairedSender[];
  /** Ask the adapter who it is on its platform (getMe, auth.test); with `chat`, send it `text` too. */
  test(
    name: string,
    options?: { chat?: string; text?: string },
  ): Promise<{ ok: true; account: string; name: string; sent: string | null }>;
  /** The newest messages of a channel, newest last (the web view's conversations, `aos channel ls --messages`). */
  messages(
    name: string,
    options?: { chat?: string; limit?: number },
  ): Promise<Array<ChannelMessageInfo & { thread: string | null; message_id: string | null; pid: number | null }>>;
}
