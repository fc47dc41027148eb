/**
 * Proposals told in the chat (issue 52.2), beside chat-approvals.ts: when a process a binding with
 * approvers reaches runs a call as a proposal (kernel/safety/proposals.ts), each approver's own chat
 * gets what ran, under which rule, until when it may be undone, and one button: Undo. The button
 * carries an unguessable token (nanoid, 126 bits) bound to that one proposal and the approvers it
 * was sent to. A press undoes only when the token is known on this channel, not used before, the
 * presser is one of those approvers and still one of the binding's, and the proposal is still
 * pending — its window not passed; anything else undoes nothing and the presser is told why (a
 * refusal of a known token is audited, an unknown one only logged). The undo is audited `via:
 * channel:<channel>/<sender>`, and every approver's message is edited with how the proposal ended
 * (undone from anywhere, or final). Tokens live in memory: after a restart, `aos undo`.
 */
import { nanoid } from 'nanoid';
import { escapeControl } from '../../protocol/show-call.js';
import type { ChannelsState, LiveChannel, ProposalNotice } from './host.js';
import { approversOf } from './views.js';
import { bindingReaching } from './approver-sets.js';

interface Told {
  proposal: string;
  pid: number;
  channel: string;
  binding: string;
  approvers: ReadonlySet<string>;
  text: string;
  sent: Array<{ chat: string; message_id: string }>;
  /** How it ended (null while pending). */
  outcome: string | null;
  /** Its button was pressed and undid it (or is undoing it). */
  used: boolean;
}

/** Settled proposals kept so a late or replayed press is told what happened. */
const KEEP_DONE = 500;
const TOKEN = /^u:([A-Za-z0-9_-]{21})$/;

export class ChatProposals {
  private readonly told = new Map<string, Told>();
  private readonly byProposal = new Map<string, string>();
  private listening = false;

  constructor(private readonly state: ChannelsState) {}

  /** Hear proposals from now on, once a binding names approvers (as chat-approvals.ts listens). */
  listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.state.host.proposals.subscribe((notice) => this.notice(notice));
  }

  /** Whether a press's data is an Undo button's (the others are chat-approvals.ts's). */
  static owns(raw: unknown): boolean {
    const data = (raw as { data?: unknown } | null)?.data;
    return typeof data === 'string' && data.startsWith('u:');
  }

  private notice(n: ProposalNotice): void {
    if (n.state === 'pending') return this.opened(n);
    const token = this.byProposal.get(n.id);
    const told = token ? this.told.get(token) : undefined;
    if (!told || told.outcome !== null) return;
    const by = n.via?.startsWith('channel:') ? ` by ${n.via.slice('channel:'.length)}` : n.via ? ` (${n.via})` : '';
    told.outcome = n.state === 'final' ? `final: its undo window passed` : `${n.state}${by}`;
    for (const m of told.sent) void this.edit(told, m);
    this.prune();
  }

  /** The binding reaching `pid` or an ancestor of it (approver-sets.ts, as chat-approvals.ts finds it). */
  private bindingOf(pid: number): { id: string; channel: string; approvers: string[] } | null {
    return bindingReaching(this.state, pid);
  }

  private opened(n: ProposalNotice): void {
    const binding = this.bindingOf(n.pid);
    const live = binding ? this.state.channels.get(binding.channel) : undefined;
    if (!binding || !live) return;
    const token = nanoid();
    const told: Told = {
      proposal: n.id,
      pid: n.pid,
      channel: binding.channel,
      binding: binding.id,
      approvers: new Set(binding.approvers),
      text: `aos proposal ${n.id}: process ${n.pid} ran ${escapeControl(n.call)} ${escapeControl(n.subject)} under rule ${escapeControl(n.rule)}.\nIt may be undone until ${n.expires_at}; then it is final.`,
      sent: [],
      outcome: null,
      used: false,
    };
    this.told.set(token, told);
    this.byProposal.set(n.id, token);
    for (const chat of told.approvers) void this.send(live, told, chat, token);
  }

  private async send(live: LiveChannel, told: Told, chat: string, token: string): Promise<void> {
    try {
      const out = await live.adapter.request<{ message_id?: unknown; chat?: unknown }>('channel.approval', {
        ref: `proposal-${told.proposal}-${chat}`,
        chat,
        text: told.text,
        buttons: [{ label: 'Undo', data: `u:${token}` }],
      });
      const landed = typeof out?.chat === 'string' && out.chat.length > 0 ? out.chat.slice(0, 200) : chat;
      const m = { chat: landed, message_id: String(out?.message_id ?? '') };
      if (!m.message_id) return;
      told.sent.push(m);
      if (told.outcome !== null) await this.edit(told, m);
    } catch (error) {
      this.state.host.log(
        'warn',
        `channel ${told.channel}: proposal ${told.proposal} not sent to ${chat}: ${(error as Error).message}`,
      );
    }
  }

  private async edit(told: Told, m: { chat: string; message_id: string }): Promise<void> {
    const live = this.state.channels.get(told.channel);
    if (!live) return;
    await live.adapter
      .request('channel.edit', { ...m, text: `${told.text}\n\n→ ${told.outcome ?? ''}` })
      .catch((error: unknown) =>
        this.state.host.log(
          'warn',
          `channel ${told.channel}: proposal message ${m.message_id} not updated: ${(error as Error).message}`,
        ),
      );
  }

  private prune(): void {
    const done = [...this.told].filter(([, t]) => t.outcome !== null);
    for (const [token, t] of done.slice(0, Math.max(0, done.length - KEEP_DONE))) {
      this.told.delete(token);
      this.byProposal.delete(t.proposal);
    }
  }

  /** The Undo button pressed on channel `live`: undone only if everything holds; the presser is told what happened. */
  async callback(live: LiveChannel, raw: unknown): Promise<{ text: string }> {
    const p = (raw ?? {}) as { sender?: { id?: unknown }; data?: unknown };
    const sender = typeof p.sender?.id === 'string' ? p.sender.id : '';
    const match = typeof p.data === 'string' ? TOKEN.exec(p.data) : null;
    const told = match ? this.told.get(match[1] ?? '') : undefined;
    const channel = live.spec.name;
    if (!match || !told || told.channel !== channel || !sender) {
      this.state.host.log('info', `channel ${channel}: an Undo press with no proposal of this channel's: ignored`);
      return {
        text: 'This button is not one of a proposal aos knows (forged, or sent before the kernel restarted): nothing was undone.',
      };
    }
    const refuse = (why: string, text: string): { text: string } => {
      this.state.host.audit({
        pid: told.pid,
        call: 'CHANNEL',
        subject: `${channel}/${sender}`,
        decision: 'deny',
        rule: null,
        decided_by: 'policy',
        reason: `the Undo button of proposal ${told.proposal} pressed and refused: ${why}`,
        approval: told.proposal,
      });
      return { text };
    };
    const binding = this.state.bindings.get(told.binding);
    if (!told.approvers.has(sender) || !binding || !approversOf(binding).includes(sender))
      return refuse('not an approver of the binding', 'You are not an approver of this proposal: nothing was undone.');
    if (told.used)
      return refuse(
        'already pressed (a replay)',
        `Already undone (${told.outcome ?? 'undoing'}): nothing more was done.`,
      );
    if (told.outcome !== null)
      return refuse('no longer pending', `This proposal is no longer pending (${told.outcome}): nothing was undone.`);
    told.used = true;
    try {
      const undone = await this.state.host.proposals.undo(told.proposal, `channel:${channel}/${sender}`);
      return { text: `Undone: ${undone.path} ${undone.action}.` };
    } catch (error) {
      // Refused (final meanwhile, the file changed since): the button may be pressed again once that is resolved.
      told.used = false;
      return { text: `Nothing was undone: ${(error as Error).message}` };
    }
  }
}
