/**
 * The channels as `aos channel` and the web view show them: a channel's adapter state, counts and
 * last message, a binding, a pairing waiting, a message kept — times as ISO strings.
 */
import type { BindingInfo, ChannelInfo, ChannelMessageInfo, PairingInfo } from '../ipc/channel-types.js';
import type { BindingRecord, ChannelMessageRecord, PairingRecord } from '../store/api.js';
import type { ChannelsState, LiveChannel } from './host.js';

/** Who may decide a binding's approvals from the chat (none for a binding older than issue 52). */
export function approversOf(b: Pick<BindingRecord, 'approvers'>): string[] {
  if (!b.approvers) return [];
  const list = JSON.parse(b.approvers) as unknown;
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function channelInfo(state: ChannelsState, name: string, live: LiveChannel): ChannelInfo {
  const { spec, adapter } = live;
  const c = live.counts;
  const last: ChannelMessageInfo | null = live.last ? { ...live.last, at: iso(live.last.at) } : null;
  return {
    name,
    kind: spec.kind,
    token_secret: spec.token_secret,
    signing_secret: spec.signing_secret || null,
    api_root: spec.api_root,
    egress: spec.egress,
    unknown: spec.unknown,
    state: adapter.state,
    account: live.account,
    pid: adapter.pid,
    restarts: adapter.restarts,
    last_error: adapter.lastError,
    last_message: last,
    counts: {
      inbound: c.inbound ?? 0,
      duplicate: c.duplicate ?? 0,
      dropped: c.dropped ?? 0,
      held: c.held ?? 0,
      outbound: c.outbound ?? 0,
      failed: (c.failed ?? 0) + (c.uncertain ?? 0),
    },
    events_url: live.hookToken ? state.host.webhooks.urlOf(live.hookToken, 'events') : null,
    bindings: [...state.bindings.values()].filter((b) => b.channel === name).length,
    pending_pairings: [...state.pairings.values()].filter((p) => p.channel === name).length,
  };
}

export function bindingInfo(b: BindingRecord): BindingInfo {
  return { ...b, created_at: iso(b.created_at), approvers: approversOf(b) };
}

export function pairingInfo(p: PairingRecord): PairingInfo {
  return {
    code: p.code,
    channel: p.channel,
    sender: p.sender,
    sender_name: p.sender_name,
    chat: p.chat,
    created_at: iso(p.created_at),
    expires_at: iso(p.expires_at),
    held: (JSON.parse(p.held) as unknown[]).length,
  };
}

export function messageInfo(
  r: ChannelMessageRecord,
): ChannelMessageInfo & { thread: string | null; message_id: string | null; pid: number | null } {
  return {
    at: iso(r.at),
    direction: r.direction,
    chat: r.chat,
    sender: r.sender,
    sender_name: r.sender_name,
    text: r.text,
    status: r.status,
    thread: r.thread,
    message_id: r.message_id,
    pid: r.pid,
  };
}
