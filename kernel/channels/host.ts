/**
 * What the channels need of the kernel (made from its parts in kernel/channels-host.ts), and the
 * state they share: the channels, bindings, paired senders and pairings waiting, kept in memory and
 * written through to the store.
 */
import type { InboundMessage } from '../../drivers/channels/protocol.js';
import type { AdapterSupervisor } from '../../drivers/channels/supervisor.js';
import type { SecretBox } from '../safety/secrets.js';
import type { AuditInput, BindingRecord, KernelStore, PairingRecord, SenderRecord } from '../store/api.js';
import type { IdempotencyKeys } from '../proc/idempotency.js';
import type { Webhooks } from '../ipc/webhooks.js';
import type { ChannelSpec } from '../ipc/channel-types.js';
import type { LogLevel } from '../proc/api.js';
import type { ApprovalView } from '../safety/approval-record.js';

/** A message for a bound unit: started like a trigger's run, the conversation's thread attached. */
export interface ChannelFiring {
  eventId: string;
  label: string;
  fields: Record<string, string>;
  event: Record<string, string>;
  attach: string[];
  /** Given the run's pid before it can run. */
  bind(pid: number): void;
}

export interface ChannelsHost {
  readonly store: KernelStore;
  readonly keys: Pick<IdempotencyKeys, 'seen' | 'remember'>;
  readonly secrets: SecretBox;
  readonly webhooks: Pick<Webhooks, 'addRoute' | 'removeRoute' | 'urlOf'>;
  readonly closing: boolean;
  /** The agents' workspace: nothing a channel's adapter runs or reads may lie in its reach. */
  readonly workspace: string;
  appendThread(key: string, entry: { text: string; pid: number; kind: 'message' }): void;
  hasUnit(name: string): boolean;
  fireUnit(
    name: string,
    firing: ChannelFiring,
  ): Promise<{ outcome: string; pid: number | null; reason: string | null; deduped?: boolean }>;
  /** Write a line to a process's stdin; `queued` hears its id before the process may read it. */
  sendStdin(pid: number, text: string, queued: (id: number) => void): number;
  /** Hear which stdin lines a process's model has been shown (Mailboxes.onShown). */
  onStdinShown(listener: (pid: number, ids: readonly number[]) => void): () => void;
  isLive(pid: number): boolean;
  /** A process's ancestors, its parent first (kernel/proc/lineage.ts), each with the unit it is a run of; its own unit first. */
  lineage(pid: number): { unit: string | null; ancestors: Array<{ pid: number; unit: string | null }> };
  /** A person's words for process `pid`: framed as outside data for it, a source of its taint (kernel/safety Safety.outside). */
  outside(pid: number, detail: string, text: string): string;
  audit(input: AuditInput): void;
  log(level: LogLevel, message: string): void;
  /** The approvals a binding's approvers decide from the chat (issue 52; chat-approvals.ts). */
  readonly approvals: ChatApprovalsHost;
  /** The proposals a binding's approvers are told of and may undo from the chat (issue 52.2; chat-proposals.ts). */
  readonly proposals: ChatProposalsHost;
}

/** A proposal event (protocol/events.ts `proposal`): opened (`pending`), undone or final. */
export interface ProposalNotice {
  id: string;
  pid: number;
  call: string;
  rule: string;
  subject: string;
  state: 'pending' | 'undone' | 'final';
  expires_at: string;
  via?: string;
}

/** What undoing proposals from a chat needs of the kernel's proposals (kernel/safety/proposals.ts). */
export interface ChatProposalsHost {
  subscribe(listener: (notice: ProposalNotice) => void): () => void;
  undo(id: string, via: `channel:${string}`): Promise<{ path: string; action: string }>;
}

/** An approval event (protocol/events.ts `approval`): opened (`pending`) or settled. */
export interface ApprovalNotice {
  id: string;
  pid: number;
  status: string;
  via?: string;
  reason?: string;
}

/** What deciding approvals from a chat needs of the kernel's approvals (kernel/safety/approvals.ts). */
export interface ChatApprovalsHost {
  /** Hear each request opened and settled. */
  subscribe(listener: (notice: ApprovalNotice) => void): () => void;
  /** A pending request of a live process, as `aos approvals` lists it; undefined when it is not pending. */
  view(id: string): ApprovalView | undefined;
  /** The pending requests of process `pid`. */
  pendingOf(pid: number): string[];
  approve(id: string, via: `channel:${string}`): void;
  deny(id: string, reason: string, via: `channel:${string}`): void;
}

/** Where a reply to what a process was handed goes (CHANNEL_SEND `to: "inbound"`). */
export interface Origin {
  channel: string;
  chat: string;
  /** The platform's thread (Telegram topic, Slack thread_ts), if any. */
  thread: string | null;
  message_id: string;
  threadKey: string | null;
}

export interface LiveChannel {
  spec: Required<ChannelSpec>;
  created_at: number;
  account: string | null;
  adapter: AdapterSupervisor;
  /** Slack's events route token, while it has one. */
  hookToken: string | null;
  last: {
    at: number;
    direction: 'in' | 'out';
    chat: string;
    sender: string | null;
    sender_name: string | null;
    text: string;
    status: string;
  } | null;
  counts: Record<string, number>;
  /** Unpaired senders already audited (drop mode): one record each. */
  audited: Set<string>;
  /** Dedup keys being handled now (a retry racing its first delivery). */
  inFlight: Set<string>;
}

export interface ChannelsState {
  readonly host: ChannelsHost;
  readonly channels: Map<string, LiveChannel>;
  readonly bindings: Map<string, BindingRecord>;
  /** `${channel}\0${sender}` → the pairing. */
  readonly senders: Map<string, SenderRecord>;
  readonly pairings: Map<string, PairingRecord>;
  readonly origins: Map<number, Origin>;
  /**
   * Messages written to a process's stdin and not yet shown to its model, by stdin line id: each
   * becomes its origin when the model is shown it (a read, a turn's notice) — never when queued, so
   * `to: "inbound"` answers the message the model read, not one that arrived while it wrote.
   */
  readonly unread: Map<number, Map<number, Origin>>;
  /** A unit binding's live run per thread: later messages of that conversation go to its stdin. */
  readonly conversations: Map<string, number>;
  /** The runs a unit binding started, by pid: their approvals go to its approvers (chat-approvals.ts). */
  readonly startedBy: Map<number, string>;
  /** Approver sets naming a unit or a rule (approver-sets.ts), by id: their requests go to those approvers too. */
  readonly approverSets: Map<string, ApproverSetRecord>;
  /** `${channel}\0${chat}` of chats heard from or written to: a send anywhere else is to a new recipient. */
  readonly known: Set<string>;
}

/** An approver set's stored row (kernel/store/channel-rows.ts), through the store's interface. */
export type ApproverSetRecord = Awaited<ReturnType<KernelStore['channels']['load']>>['approverSets'][number];

export const senderKey = (channel: string, sender: string): string => `${channel}\u0000${sender}`;

export type { InboundMessage };
