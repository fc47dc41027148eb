/**
 * The kernel's channels (issue 34): the adapters a person added (`aos channel add`), each run and
 * restarted by its supervisor (drivers/channels/supervisor.ts), and what routes their messages —
 * bindings, paired senders, pairings waiting. Kept in the store, so all of it outlives a restart;
 * the adapters start again with the kernel.
 */
import { nanoid } from 'nanoid';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { InboundStatus } from '../../drivers/channels/protocol.js';
import type { BindingInfo, BindingSpec, ChannelInfo, ChannelMessageInfo, ChannelSpec, ChannelsApi, PairedSender, PairingInfo } from '../ipc/channel-types.js';
import type { BindingRecord, ChannelMessageRecord } from '../store/api.js';
import { checkIdPattern, checkThreadTemplate, DEFAULT_THREAD } from './bindings.js';
import { type ChannelsHost, type ChannelsState, type InboundMessage, type LiveChannel, senderKey } from './host.js';
import { bindingConversations, handleInbound, route } from './inbound.js';
import { forgetHook, launchAdapter, normalSpec, startHook, stopHook } from './launch.js';
import { expire, pair } from './pairing.js';
import { channelOf, channelSend, forgetPin, type SendAnswer, type SendRequest } from './send.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export class Channels implements ChannelsApi {
  readonly state: ChannelsState;

  constructor(host: ChannelsHost) {
    this.state = { host, channels: new Map(), bindings: new Map(), senders: new Map(), pairings: new Map(), origins: new Map(), unread: new Map(), conversations: new Map(), known: new Set() };
    host.onStdinShown((pid, ids) => this.shown(pid, ids));
  }

  /** A process's model was shown these stdin lines: the last channel message among them is what `to: "inbound"` answers. */
  private shown(pid: number, ids: readonly number[]): void {
    const unread = this.state.unread.get(pid);
    if (!unread) return;
    for (const id of ids) {
      const origin = unread.get(id);
      if (!origin) continue;
      unread.delete(id);
      this.state.origins.set(pid, origin);
    }
    if (unread.size === 0) this.state.unread.delete(pid);
  }

  /** Start-up: what the store holds, and every channel's adapter started. */
  async load(): Promise<void> {
    const { host } = this.state;
    const rows = await host.store.channels.load();
    for (const b of rows.bindings) this.state.bindings.set(b.id, b);
    for (const s of rows.senders) this.state.senders.set(senderKey(s.channel, s.sender), s);
    for (const p of rows.pairings) this.state.pairings.set(p.code, p);
    for (const o of await host.store.channels.origins()) {
      if (host.isLive(o.pid) && o.message_id) this.state.origins.set(o.pid, { channel: o.channel, chat: o.chat, thread: o.platform_thread, message_id: o.message_id, threadKey: o.thread });
    }
    for (const c of await host.store.channels.knownChats()) this.state.known.add(senderKey(c.channel, c.chat));
    const counts = await host.store.channels.counts();
    for (const row of rows.channels) {
      const live = await this.open(normalSpec(JSON.parse(row.spec) as ChannelSpec), row.created_at, row.account);
      for (const c of counts.filter((c) => c.channel === row.name)) live.counts[c.direction === 'out' && c.status === 'sent' ? 'outbound' : c.status === 'accepted' ? 'inbound' : c.status] = c.n;
    }
  }

  async add(spec: ChannelSpec): Promise<ChannelInfo> {
    const normal = normalSpec(spec);
    if (this.state.channels.has(normal.name)) throw new AosError('EEXIST', `channel ${normal.name} exists (aos channel rm ${normal.name} first)`);
    if (this.state.channels.size >= param.maxChannels) throw new AosError('EAGAIN', `${param.maxChannels} channels at most`);
    // Refused now, before anything is kept: a secret the policy does not give this channel.
    this.state.host.secrets.forChannel(normal.name, normal.token_secret);
    if (normal.signing_secret) this.state.host.secrets.forChannel(normal.name, normal.signing_secret);
    const now = Date.now();
    await this.open(normal, now, null);
    this.state.host.store.channels.putChannel({ name: normal.name, kind: normal.kind, spec: JSON.stringify(normal), account: null, created_at: now });
    this.state.host.audit({ pid: 0, call: 'CHANNEL', subject: normal.name, decision: 'allow', rule: null, decided_by: 'person', reason: `channel added: ${normal.kind} via ${normal.api_root}` });
    await this.state.host.store.committed();
    return this.info(normal.name);
  }

  async remove(name: string): Promise<ChannelInfo> {
    const live = this.get(name);
    const info = this.info(name);
    this.state.channels.delete(name);
    stopHook(this.state, live);
    await live.adapter.stop();
    for (const [id, b] of this.state.bindings) {
      if (b.channel !== name) continue;
      this.state.bindings.delete(id);
      forgetConversations(this.state, b);
    }
    // A channel added again under this name (another bot, another platform) starts from nothing: no
    // chat it heard from, no process answering one of its chats, not the old hook's URL.
    for (const key of this.state.known) if (key.startsWith(senderKey(name, ''))) this.state.known.delete(key);
    for (const [pid, origin] of this.state.origins) if (origin.channel === name) this.state.origins.delete(pid);
    for (const unread of this.state.unread.values()) for (const [id, origin] of unread) if (origin.channel === name) unread.delete(id);
    forgetHook(this.state, name);
    for (const [key, s] of this.state.senders) if (s.channel === name) this.state.senders.delete(key);
    for (const [code, p] of this.state.pairings) if (p.channel === name) this.state.pairings.delete(code);
    this.state.host.store.channels.removeChannel(name);
    this.state.host.audit({ pid: 0, call: 'CHANNEL', subject: name, decision: 'allow', rule: null, decided_by: 'person', reason: 'channel removed' });
    await this.state.host.store.committed();
    return { ...info, state: 'stopped' };
  }

  list(): ChannelInfo[] {
    return [...this.state.channels.keys()].sort().map((name) => this.info(name));
  }

  info(name: string): ChannelInfo {
    const live = this.get(name);
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
      counts: { inbound: c.inbound ?? 0, duplicate: c.duplicate ?? 0, dropped: c.dropped ?? 0, held: c.held ?? 0, outbound: c.outbound ?? 0, failed: (c.failed ?? 0) + (c.uncertain ?? 0) },
      events_url: live.hookToken ? this.state.host.webhooks.urlOf(live.hookToken, 'events') : null,
      bindings: [...this.state.bindings.values()].filter((b) => b.channel === name).length,
      pending_pairings: [...this.state.pairings.values()].filter((p) => p.channel === name).length,
    };
  }

  async bind(spec: BindingSpec): Promise<BindingInfo> {
    this.get(spec.channel);
    if ((spec.unit ?? null) === null === ((spec.pid ?? null) === null)) throw new AosError('EINVAL', 'a binding names exactly one of --unit and --pid');
    if (spec.unit && !this.state.host.hasUnit(spec.unit)) throw new AosError('ESRCH', `no unit named ${spec.unit} (aos unit ls)`);
    if (spec.pid != null && !this.state.host.isLive(spec.pid)) throw new AosError('ESRCH', `process ${spec.pid} is not running: a binding to a process needs a live one`);
    if (this.state.bindings.size >= param.maxChannelBindings) throw new AosError('EAGAIN', `${param.maxChannelBindings} bindings at most`);
    if (spec.name !== undefined && !/^[a-z][a-z0-9-]{0,31}$/.test(spec.name)) throw new AosError('EINVAL', `binding name "${spec.name.slice(0, 40)}": lower-case letters, digits and -, starting with a letter, at most 32`);
    if (spec.name !== undefined && this.state.bindings.has(spec.name)) throw new AosError('EEXIST', `a binding named ${spec.name} exists (aos channel unbind ${spec.name} first)`);
    const row: BindingRecord = {
      id: spec.name ?? `b-${nanoid(8)}`,
      channel: spec.channel,
      account: checkIdPattern('account', spec.account),
      chat: checkIdPattern('chat', spec.chat),
      sender: checkIdPattern('sender', spec.sender),
      unit: spec.unit ?? null,
      pid: spec.pid ?? null,
      thread: checkThreadTemplate(spec.thread ?? DEFAULT_THREAD),
      created_at: Date.now(),
    };
    this.state.bindings.set(row.id, row);
    this.state.host.store.channels.putBinding(row);
    this.state.host.audit({ pid: 0, call: 'CHANNEL', subject: `${row.channel}/${row.account}/${row.chat}/${row.sender}`, decision: 'allow', rule: null, decided_by: 'person', reason: `bound to ${row.unit ? `unit ${row.unit}` : `pid ${row.pid ?? ''}`} (${row.id})` });
    await this.state.host.store.committed();
    return bindingInfo(row);
  }

  async unbind(id: string): Promise<BindingInfo> {
    const row = this.state.bindings.get(id);
    if (!row) throw new AosError('ENOENT', `no binding ${id} (aos channel show <name> lists them)`);
    this.state.bindings.delete(id);
    forgetConversations(this.state, row);
    this.state.host.store.channels.removeBinding(id);
    await this.state.host.store.committed();
    return bindingInfo(row);
  }

  bindings(channel?: string): BindingInfo[] {
    return [...this.state.bindings.values()].filter((b) => channel === undefined || b.channel === channel).map(bindingInfo);
  }

  pairings(channel?: string): PairingInfo[] {
    expire(this.state, Date.now());
    return [...this.state.pairings.values()]
      .filter((p) => channel === undefined || p.channel === channel)
      .map((p) => ({ code: p.code, channel: p.channel, sender: p.sender, sender_name: p.sender_name, chat: p.chat, created_at: iso(p.created_at), expires_at: iso(p.expires_at), held: (JSON.parse(p.held) as unknown[]).length }));
  }

  pair(code: string): Promise<{ sender: PairedSender; delivered: number }> {
    return pair(this.state, code, (live, m) => route(this.state, live, m)).then(({ sender, delivered }) => ({ sender: { ...sender, paired_at: iso(sender.paired_at) }, delivered }));
  }

  senders(channel?: string): PairedSender[] {
    return [...this.state.senders.values()].filter((s) => channel === undefined || s.channel === channel).map((s) => ({ ...s, paired_at: iso(s.paired_at) }));
  }

  async test(name: string, options: { chat?: string; text?: string } = {}): Promise<{ ok: true; account: string; name: string; sent: string | null }> {
    const live = this.get(name);
    await live.adapter.ready(param.channelRequestTimeoutMs);
    const said = await live.adapter.request<{ account?: unknown; name?: unknown }>('channel.test', {});
    const me = this.state.host.secrets.mask({ account: String(said?.account ?? '').slice(0, 200), name: String(said?.name ?? '').slice(0, 200) }) as { account: string; name: string };
    let sent: string | null = null;
    if (options.chat) {
      const out = await live.adapter.request<{ message_id?: unknown }>('channel.outbound', { ref: `test-${Date.now()}`, chat: options.chat, text: options.text ?? 'aos channel test: this channel works.' });
      sent = String(this.state.host.secrets.mask(String(out?.message_id ?? ''))).slice(0, 200);
    }
    return { ok: true, account: me.account, name: me.name, sent };
  }

  async messages(name: string, options: { chat?: string; limit?: number } = {}): Promise<Array<ChannelMessageInfo & { thread: string | null; message_id: string | null; pid: number | null }>> {
    this.get(name);
    const rows = await this.state.host.store.channels.messages(name, { ...(options.chat ? { chat: options.chat } : {}), limit: Math.min(options.limit ?? 50, 1_000) });
    return rows.map(messageInfo);
  }

  /** CHANNEL_SEND's capability subject (`<name>/<chat>`, `<name>/new/<chat>`), and the send. */
  channelOf = (pid: number, to: string): string => channelOf(this.state, pid, to);
  send = (pid: number, request: SendRequest, signal?: AbortSignal): Promise<SendAnswer> => channelSend(this.state, pid, request, signal);

  /** A process ended: nothing more is routed to it as a conversation's run. */
  processEnded(pid: number): void {
    this.state.origins.delete(pid);
    this.state.unread.delete(pid);
    forgetPin(this.state, pid);
  }

  async close(): Promise<void> {
    const all = [...this.state.channels.values()];
    for (const live of all) stopHook(this.state, live);
    await Promise.all(all.map((live) => live.adapter.stop()));
  }

  private async open(spec: Required<ChannelSpec>, createdAt: number, account: string | null): Promise<LiveChannel> {
    const live = launchAdapter(this.state, spec, createdAt, account, (l, raw) => this.inbound(l, raw));
    this.state.channels.set(spec.name, live);
    await startHook(this.state, live);
    return live;
  }

  private inbound(live: LiveChannel, raw: unknown): Promise<InboundStatus> {
    if (this.state.host.closing || this.state.channels.get(live.spec.name) !== live) return Promise.reject(new Error('the kernel is stopping'));
    return handleInbound(this.state, live, raw);
  }

  private get(name: string): LiveChannel {
    const live = this.state.channels.get(name);
    if (!live) throw new AosError('ENOENT', `no channel named ${name}${this.state.channels.size ? ` (there are: ${[...this.state.channels.keys()].join(', ')})` : ' (aos channel add)'}`);
    return live;
  }
}

function bindingInfo(b: BindingRecord): BindingInfo {
  return { ...b, created_at: iso(b.created_at) };
}

function messageInfo(r: ChannelMessageRecord): ChannelMessageInfo & { thread: string | null; message_id: string | null; pid: number | null } {
  return { at: iso(r.at), direction: r.direction, chat: r.chat, sender: r.sender, sender_name: r.sender_name, text: r.text, status: r.status, thread: r.thread, message_id: r.message_id, pid: r.pid };
}

export type { InboundMessage };

/** A binding's live runs per thread, forgotten: its later messages start none of them again. */
function forgetConversations(state: ChannelsState, binding: BindingRecord): void {
  const prefix = bindingConversations(binding);
  for (const key of state.conversations.keys()) if (key.startsWith(prefix)) state.conversations.delete(key);
}
