/**
 * The kernel's channels (issue 34): the adapters a person added (`aos channel add`), each run and
 * restarted by its supervisor (drivers/channels/supervisor.ts), and what routes their messages —
 * bindings, paired senders, pairings waiting. Kept in the store, so all of it outlives a restart;
 * the adapters start again with the kernel. Binding is bind.ts's; what is shown, views.ts's.
 */
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { InboundStatus } from '../../drivers/channels/protocol.js';
import type {
  BindingInfo,
  BindingSpec,
  ChannelInfo,
  ChannelMessageInfo,
  ChannelSpec,
  ChannelsApi,
  PairedSender,
  PairingInfo,
} from '../ipc/channel-types.js';
import { bind, forgetConversations, unbind } from './bind.js';
import { ApproverSets } from './approver-sets.js';
import { type ChannelsHost, type ChannelsState, type InboundMessage, type LiveChannel, senderKey } from './host.js';
import { handleInbound, route } from './inbound.js';
import { ChatApprovals } from './chat-approvals.js';
import { ChatProposals } from './chat-proposals.js';
import { forgetHook, launchAdapter, normalSpec, startHook, stopHook } from './launch.js';
import { expire, pair } from './pairing.js';
import { testChannel } from './channel-test.js';
import { channelOf, channelSend, forgetPin, type SendAnswer, type SendRequest } from './send.js';
import { bindingInfo, channelInfo, iso, messageInfo, pairingInfo } from './views.js';

export class Channels implements ChannelsApi {
  readonly state: ChannelsState;
  private readonly chatApprovals: ChatApprovals;
  private readonly chatProposals: ChatProposals;
  readonly approvers: ApproverSets;

  constructor(host: ChannelsHost) {
    this.state = {
      host,
      channels: new Map(),
      bindings: new Map(),
      senders: new Map(),
      pairings: new Map(),
      origins: new Map(),
      unread: new Map(),
      conversations: new Map(),
      startedBy: new Map(),
      approverSets: new Map(),
      known: new Set(),
    };
    host.onStdinShown((pid, ids) => this.shown(pid, ids));
    this.chatApprovals = new ChatApprovals(this.state);
    this.chatProposals = new ChatProposals(this.state);
    this.approvers = new ApproverSets(
      this.state,
      (name) => this.get(name),
      () => this.listenApprovers(),
    );
  }

  /** A binding names approvers: they hear of approvals (chat-approvals.ts) and proposals (chat-proposals.ts) from now on. */
  private listenApprovers(): void {
    this.chatApprovals.listen();
    this.chatProposals.listen();
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
    if (rows.bindings.some((b) => b.approvers) || this.approvers.load(rows.approverSets)) this.listenApprovers();
    for (const s of rows.senders) this.state.senders.set(senderKey(s.channel, s.sender), s);
    for (const p of rows.pairings) this.state.pairings.set(p.code, p);
    for (const o of await host.store.channels.origins()) {
      if (host.isLive(o.pid) && o.message_id)
        this.state.origins.set(o.pid, {
          channel: o.channel,
          chat: o.chat,
          thread: o.platform_thread,
          message_id: o.message_id,
          threadKey: o.thread,
        });
    }
    for (const c of await host.store.channels.knownChats()) this.state.known.add(senderKey(c.channel, c.chat));
    const counts = await host.store.channels.counts();
    for (const row of rows.channels) {
      const live = await this.open(normalSpec(JSON.parse(row.spec) as ChannelSpec), row.created_at, row.account);
      for (const c of counts.filter((c) => c.channel === row.name))
        live.counts[
          c.direction === 'out' && c.status === 'sent' ? 'outbound' : c.status === 'accepted' ? 'inbound' : c.status
        ] = c.n;
    }
  }

  async add(spec: ChannelSpec): Promise<ChannelInfo> {
    const normal = normalSpec(spec);
    if (this.state.channels.has(normal.name))
      throw new AosError('EEXIST', `channel ${normal.name} exists (aos channel rm ${normal.name} first)`);
    if (this.state.channels.size >= param.maxChannels)
      throw new AosError('EAGAIN', `${param.maxChannels} channels at most`);
    // Refused now, before anything is kept: a secret the policy does not give this channel.
    this.state.host.secrets.forChannel(normal.name, normal.token_secret);
    if (normal.signing_secret) this.state.host.secrets.forChannel(normal.name, normal.signing_secret);
    const now = Date.now();
    await this.open(normal, now, null);
    this.state.host.store.channels.putChannel({
      name: normal.name,
      kind: normal.kind,
      spec: JSON.stringify(normal),
      account: null,
      created_at: now,
    });
    this.state.host.audit({
      pid: 0,
      call: 'CHANNEL',
      subject: normal.name,
      decision: 'allow',
      rule: null,
      decided_by: 'person',
      reason: `channel added: ${normal.kind} via ${normal.api_root}`,
    });
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
    this.approvers.forgetChannel(name);
    // A channel added again under this name (another bot, another platform) starts from nothing: no
    // chat it heard from, no process answering one of its chats, not the old hook's URL.
    for (const key of this.state.known) if (key.startsWith(senderKey(name, ''))) this.state.known.delete(key);
    for (const [pid, origin] of this.state.origins) if (origin.channel === name) this.state.origins.delete(pid);
    for (const unread of this.state.unread.values())
      for (const [id, origin] of unread) if (origin.channel === name) unread.delete(id);
    forgetHook(this.state, name);
    for (const [key, s] of this.state.senders) if (s.channel === name) this.state.senders.delete(key);
    for (const [code, p] of this.state.pairings) if (p.channel === name) this.state.pairings.delete(code);
    this.state.host.store.channels.removeChannel(name);
    this.state.host.audit({
      pid: 0,
      call: 'CHANNEL',
      subject: name,
      decision: 'allow',
      rule: null,
      decided_by: 'person',
      reason: 'channel removed',
    });
    await this.state.host.store.committed();
    return { ...info, state: 'stopped' };
  }

  list(): ChannelInfo[] {
    return [...this.state.channels.keys()].sort().map((name) => this.info(name));
  }

  info(name: string): ChannelInfo {
    return channelInfo(this.state, name, this.get(name));
  }

  async bind(spec: BindingSpec): Promise<BindingInfo> {
    this.get(spec.channel);
    const bound = await bind(this.state, spec);
    if (spec.approvers?.length) this.listenApprovers();
    return bound;
  }

  unbind(id: string): Promise<BindingInfo> {
    return unbind(this.state, id);
  }

  bindings(channel?: string): BindingInfo[] {
    return [...this.state.bindings.values()]
      .filter((b) => channel === undefined || b.channel === channel)
      .map(bindingInfo);
  }

  pairings(channel?: string): PairingInfo[] {
    expire(this.state, Date.now());
    return [...this.state.pairings.values()]
      .filter((p) => channel === undefined || p.channel === channel)
      .map(pairingInfo);
  }

  pair(code: string): Promise<{ sender: PairedSender; delivered: number }> {
    return pair(this.state, code, (live, m) => route(this.state, live, m)).then(({ sender, delivered }) => ({
      sender: { ...sender, paired_at: iso(sender.paired_at) },
      delivered,
    }));
  }

  senders(channel?: string): PairedSender[] {
    return [...this.state.senders.values()]
      .filter((s) => channel === undefined || s.channel === channel)
      .map((s) => ({ ...s, paired_at: iso(s.paired_at) }));
  }

  /** Ask the adapter who it is; with `chat`, send it `text` too (channel-test.ts). */
  test(name: string, options: { chat?: string; text?: string } = {}): ReturnType<typeof testChannel> {
    return testChannel(this.state, this.get(name), options);
  }

  async messages(
    name: string,
    options: { chat?: string; limit?: number } = {},
  ): Promise<Array<ChannelMessageInfo & { thread: string | null; message_id: string | null; pid: number | null }>> {
    this.get(name);
    const rows = await this.state.host.store.channels.messages(name, {
      ...(options.chat ? { chat: options.chat } : {}),
      limit: Math.min(options.limit ?? 50, 1_000),
    });
    return rows.map(messageInfo);
  }

  /** CHANNEL_SEND's capability subject (`<name>/<chat>`, `<name>/new/<chat>`), and the send. */
  channelOf = (pid: number, to: string): string => channelOf(this.state, pid, to);
  send = (pid: number, request: SendRequest, signal?: AbortSignal): Promise<SendAnswer> =>
    channelSend(this.state, pid, request, signal);

  /** A process ended: nothing more is routed to it as a conversation's run. */
  processEnded(pid: number): void {
    this.state.origins.delete(pid);
    this.state.unread.delete(pid);
    this.state.startedBy.delete(pid);
    forgetPin(this.state, pid);
  }

  async close(): Promise<void> {
    const all = [...this.state.channels.values()];
    for (const live of all) stopHook(this.state, live);
    await Promise.all(all.map((live) => live.adapter.stop()));
  }

  private async open(spec: Required<ChannelSpec>, createdAt: number, account: string | null): Promise<LiveChannel> {
    const live = launchAdapter(
      this.state,
      spec,
      createdAt,
      account,
      (l, raw) => this.inbound(l, raw),
      async (l, raw) => {
        if (this.state.host.closing || this.state.channels.get(l.spec.name) !== l)
          throw new Error('the kernel is stopping');
        return ChatProposals.owns(raw) ? this.chatProposals.callback(l, raw) : this.chatApprovals.callback(l, raw);
      },
    );
    this.state.channels.set(spec.name, live);
    await startHook(this.state, live);
    return live;
  }

  private inbound(live: LiveChannel, raw: unknown): Promise<InboundStatus> {
    if (this.state.host.closing || this.state.channels.get(live.spec.name) !== live)
      return Promise.reject(new Error('the kernel is stopping'));
    return handleInbound(this.state, live, raw);
  }

  private get(name: string): LiveChannel {
    const live = this.state.channels.get(name);
    if (!live)
      throw new AosError(
        'ENOENT',
        `no channel named ${name}${this.state.channels.size ? ` (there are: ${[...this.state.channels.keys()].join(', ')})` : ' (aos channel add)'}`,
      );
    return live;
  }
}

export type { InboundMessage };
