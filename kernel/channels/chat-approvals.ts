/**
 * Approvals decided from the chat (issue 52). A binding may name approvers (`--approvers`: senders
 * by id); each approval request of a process the binding reaches — the runs of its unit it started,
 * or the process it is bound to, and their descendants — and of a unit or rule an approver set names
 * (approver-sets.ts) is sent to each approver's own chat (`channel.approval`) with the
 * call shown as `aos approvals` shows it, and three buttons: approve, deny, and approve this request
 * and every other request of the same process pending at that moment (each approved on its own,
 * each audited; nothing is granted for requests opened later).
 *
 * Each request gets one unguessable token (nanoid, 126 bits) the buttons carry; the kernel maps it
 * to the request and the approvers named when it was sent. A press (`channel.callback`) decides only
 * when the token is known on this channel, not used before, its request still pending, and the
 * presser one of those approvers and still one of its source's (the binding, the set): anything else decides nothing and
 * the presser is told why (a refusal of a known token is audited; an unknown one is only logged, so
 * strangers cannot fill the audit). The decision is audited `via: channel:<channel>/<sender>`, and
 * every approver's message is edited to say how the request ended — wherever it was decided.
 * Tokens live in memory: after a kernel restart the buttons of earlier messages are unknown.
 */
import { nanoid } from 'nanoid';
import { param } from '../../sys/param.js';
import { showApproval } from '../../protocol/show-call.js';
import { taintLines } from '../../protocol/taint-show.js';
import type { ApprovalView } from '../safety/approval-record.js';
import type { ApprovalNotice, ChannelsState, LiveChannel } from './host.js';
import { type ApproverSource, approversNow, bindingReaching, sourcesOf } from './approver-sets.js';

interface Ask {
  approval: string;
  pid: number;
  channel: string;
  /** The binding or approver set it was sent for: a press counts only while the presser is still one of its approvers. */
  source: Pick<ApproverSource, 'kind' | 'id'>;
  approvers: ReadonlySet<string>;
  text: string;
  sent: Array<{ chat: string; message_id: string }>;
  /** How it ended (null while pending); a press after that decides nothing. */
  outcome: string | null;
  /** A button of it was pressed and decided. */
  used: boolean;
  /** The whole call is in the message (otherwise only Deny is offered, and only Deny is taken). */
  whole: boolean;
  /** Its place in the order requests were sent: approve-all takes only those sent up to it. */
  seq: number;
}

/** Decided requests kept so a late or replayed press is told what happened (the oldest forgotten past this). */
const KEEP_DONE = 500;
const TOKEN = /^([adp]):([A-Za-z0-9_-]{21})$/;

const outcomeOf = (n: ApprovalNotice): string => {
  const via = n.via?.startsWith('channel:') ? ` by ${n.via.slice('channel:'.length)}` : n.via ? ` (${n.via})` : '';
  const reason = n.status !== 'approved' && n.reason ? `: ${n.reason}` : '';
  return `${n.status}${via}${reason}`;
};

export class ChatApprovals {
  private readonly asks = new Map<string, Ask>();
  /** A request's tokens: one per source it was sent for (a binding's, a unit's, a rule's approvers). */
  private readonly byApproval = new Map<string, string[]>();

  private listening = false;
  private seq = 0;

  constructor(private readonly state: ChannelsState) {}

  /**
   * Hear approval notices from now on, once a binding names approvers (at load, or when bound):
   * a kernel whose bindings name none runs none of this on its events (files crossed, issue 48).
   */
  listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.state.host.approvals.subscribe((notice) => this.notice(notice));
  }

  private notice(n: ApprovalNotice): void {
    if (n.status === 'pending') return this.opened(n);
    for (const token of this.byApproval.get(n.id) ?? []) {
      const ask = this.asks.get(token);
      if (!ask || ask.outcome !== null) continue;
      ask.outcome = outcomeOf(n);
      for (const m of ask.sent) void this.edit(ask, m);
    }
    this.prune();
  }

  private opened(n: ApprovalNotice): void {
    // Most requests have no approvers in a chat: known before the request is looked up.
    if (this.state.approverSets.size === 0 && !bindingReaching(this.state, n.pid)) return;
    const view = this.state.host.approvals.view(n.id);
    if (!view) return;
    const sources = sourcesOf(this.state, n.pid, view.rule);
    if (sources.length === 0) return;
    const shown = requestText(view);
    // An approver named by two sources on one channel gets the request once.
    const told = new Set<string>();
    for (const source of sources) {
      const live = this.state.channels.get(source.channel);
      const approvers = source.approvers.filter((a) => !told.has(`${source.channel}\u0000${a}`));
      if (!live || approvers.length === 0) continue;
      for (const a of approvers) told.add(`${source.channel}\u0000${a}`);
      this.ask(live, n, source, approvers, shown);
    }
  }

  private ask(
    live: LiveChannel,
    n: ApprovalNotice,
    source: ApproverSource,
    approvers: string[],
    shown: { text: string; whole: boolean },
  ): void {
    const token = nanoid();
    const ask: Ask = {
      approval: n.id,
      pid: n.pid,
      channel: source.channel,
      source: { kind: source.kind, id: source.id },
      approvers: new Set(approvers),
      text: shown.text,
      whole: shown.whole,
      seq: ++this.seq,
      sent: [],
      outcome: null,
      used: false,
    };
    this.asks.set(token, ask);
    this.byApproval.set(n.id, [...(this.byApproval.get(n.id) ?? []), token]);
    const buttons = ask.whole
      ? [
          { label: 'Approve', data: `a:${token}` },
          { label: 'Deny', data: `d:${token}` },
          { label: 'Approve all of this process', data: `p:${token}` },
        ]
      : [{ label: 'Deny', data: `d:${token}` }];
    for (const chat of ask.approvers) void this.send(live, ask, chat, buttons);
  }

  private async send(live: LiveChannel, ask: Ask, chat: string, buttons: Array<{ label: string; data: string }>) {
    try {
      const out = await live.adapter.request<{ message_id?: unknown; chat?: unknown }>('channel.approval', {
        ref: `approval-${ask.approval}-${chat}`,
        chat,
        text: ask.text,
        buttons,
      });
      // The chat it landed in, when the platform says (Slack: a user's direct message channel).
      const landed = typeof out?.chat === 'string' && out.chat.length > 0 ? out.chat.slice(0, 200) : chat;
      const m = { chat: landed, message_id: String(out?.message_id ?? '') };
      if (!m.message_id) return;
      ask.sent.push(m);
      // Decided while it was on its way: said at once.
      if (ask.outcome !== null) await this.edit(ask, m);
    } catch (error) {
      this.state.host.log(
        'warn',
        `channel ${ask.channel}: approval ${ask.approval} not sent to ${chat}: ${(error as Error).message}`,
      );
    }
  }

  private async edit(ask: Ask, m: { chat: string; message_id: string }): Promise<void> {
    const live = this.state.channels.get(ask.channel);
    if (!live) return;
    await live.adapter
      .request('channel.edit', { ...m, text: `${ask.text}\n\n→ ${ask.outcome ?? ''}` })
      .catch((error: unknown) =>
        this.state.host.log(
          'warn',
          `channel ${ask.channel}: approval message ${m.message_id} not updated: ${(error as Error).message}`,
        ),
      );
  }

  private prune(): void {
    const done = [...this.asks].filter(([, a]) => a.outcome !== null);
    for (const [token, a] of done.slice(0, Math.max(0, done.length - KEEP_DONE))) {
      this.asks.delete(token);
      const left = (this.byApproval.get(a.approval) ?? []).filter((t) => t !== token);
      if (left.length) this.byApproval.set(a.approval, left);
      else this.byApproval.delete(a.approval);
    }
  }

  /** A button pressed on channel `live`: decided only if everything holds; the presser is told what happened. */
  callback(live: LiveChannel, raw: unknown): { text: string } {
    const p = (raw ?? {}) as { sender?: { id?: unknown }; data?: unknown };
    const sender = typeof p.sender?.id === 'string' ? p.sender.id : '';
    const match = typeof p.data === 'string' ? TOKEN.exec(p.data) : null;
    const ask = match ? this.asks.get(match[2] ?? '') : undefined;
    const channel = live.spec.name;
    if (!match || !ask || ask.channel !== channel || !sender) {
      this.state.host.log('info', `channel ${channel}: a button press with no request of this channel's: ignored`);
      return {
        text: 'This button is not one of a request aos knows (forged, or sent before the kernel restarted): nothing was decided.',
      };
    }
    const refuse = (why: string, text: string): { text: string } => {
      this.state.host.audit({
        pid: ask.pid,
        call: 'CHANNEL',
        subject: `${channel}/${sender}`,
        decision: 'deny',
        rule: null,
        decided_by: 'policy',
        reason: `a button of approval ${ask.approval} pressed and refused: ${why}`,
        approval: ask.approval,
      });
      return { text };
    };
    if (!ask.approvers.has(sender) || !approversNow(this.state, ask.source).includes(sender))
      return refuse(
        `not an approver of the ${ask.source.kind === 'binding' ? 'binding' : 'approver set'} ${ask.source.id}`,
        'You are not an approver of this request: nothing was decided.',
      );
    if (ask.used)
      return refuse(
        'already answered (a replay)',
        `Already answered (${ask.outcome ?? 'decided'}): nothing more was done.`,
      );
    if (ask.outcome !== null || !this.state.host.approvals.view(ask.approval))
      return refuse(
        'no longer pending',
        `This request is no longer pending (${ask.outcome ?? 'settled'}): nothing was decided.`,
      );
    const kind = match[1];
    if (kind !== 'd' && !ask.whole)
      return {
        text: 'This request was too long to show here: only Deny is taken from the chat; review it with aos approvals.',
      };
    ask.used = true;
    const via = `channel:${channel}/${sender}` as const;
    try {
      if (kind === 'd') {
        this.state.host.approvals.deny(ask.approval, `denied from ${channel} by ${sender}`, via);
        return { text: 'Denied.' };
      }
      this.state.host.approvals.approve(ask.approval, via);
      if (kind === 'a') return { text: 'Approved.' };
      // Only what this approver was sent before this message, whole: never a request made since.
      let more = 0;
      for (const id of this.state.host.approvals.pendingOf(ask.pid)) {
        const other = (this.byApproval.get(id) ?? [])
          .map((t) => this.asks.get(t))
          .find(
            (o) =>
              o !== undefined &&
              o.channel === channel &&
              o.approvers.has(sender) &&
              o.sent.length > 0 &&
              approversNow(this.state, o.source).includes(sender),
          );
        if (!other || other.outcome !== null || !other.whole || other.seq > ask.seq) continue;
        try {
          this.state.host.approvals.approve(id, via);
          more++;
        } catch {
          // decided meanwhile: not counted
        }
      }
      return { text: `Approved, and ${more} other request(s) of process ${ask.pid} sent to you before it.` };
    } catch (error) {
      return { text: `Nothing was decided: ${(error as Error).message}` };
    }
  }
}

/**
 * The request as an approver reads it: who asks, under which rule, its taint and expiry first (a
 * long call cannot push them out of view), then the call exactly as `aos approvals` shows it — or,
 * past what a chat shows, its start with how much was left out; such a request gets no approve
 * button (`whole: false`): a person approves only what they could read, at `aos approvals`.
 */
function requestText(view: ApprovalView): { text: string; whole: boolean } {
  const taint = taintLines(view.taint, '')
    .map((l) => `\n${l}`)
    .join('');
  // Whole, every argument in full, when that fits a chat message; else the terminal's preview and no approve.
  const full = showApproval(view, Infinity, Infinity);
  const whole = full.length <= param.chatApprovalMaxCall;
  const shown = whole
    ? full
    : `${showApproval(view).slice(0, param.chatApprovalMaxCall)}\n(${full.length} characters in full: too long to approve from the chat; review it with aos approvals --json)`;
  return {
    text: `aos approval ${view.id}: process ${view.pid} (${view.name}) asks, rule ${view.rule}${taint}\nExpires ${view.expires_at}.\n${shown}`,
    whole,
  };
}
