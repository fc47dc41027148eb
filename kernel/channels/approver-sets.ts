/**
 * Who decides a request from the chat (issue 52), beside chat-approvals.ts: the binding that reaches
 * the asking process or one of its ancestors (a run it started, the process it is bound to), and the
 * approver sets a person named for a unit (its runs and their descendants, however started) or for a
 * rule (the requests it asked) — `aos channel approvers add|ls|rm`, kept in the store, audited.
 * A press is checked against the approvers its source names at that moment (`approversNow`), so a
 * set removed or changed stops its buttons as an unbound binding's do.
 */
import { nanoid } from 'nanoid';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { ApproverSetInfo, ApproverSetSpec, ApproverSetsApi } from '../ipc/channel-types.js';
import { approversParam } from './bind.js';
import type { ApproverSetRecord, ChannelsState, LiveChannel } from './host.js';
import { approversOf, iso } from './views.js';

/** Where a request's approvers come from: a binding, or an approver set (by id). */
export interface ApproverSource {
  kind: 'binding' | 'set';
  id: string;
  channel: string;
  approvers: string[];
}

/**
 * The binding whose approvers decide process `pid`'s requests: among the bindings with approvers that
 * started `pid` or are bound to it — else its parent, and so up to its tree's root — the newest.
 */
export function bindingReaching(state: ChannelsState, pid: number): ApproverSource | null {
  const chain = [pid, ...state.host.lineage(pid).ancestors.map((a) => a.pid)];
  for (const p of chain) {
    const started = state.startedBy.get(p);
    const candidates = [...state.bindings.values()].filter((b) => b.id === started || b.pid === p);
    for (const b of candidates.reverse()) {
      const approvers = approversOf(b);
      if (approvers.length) return { kind: 'binding', id: b.id, channel: b.channel, approvers };
    }
  }
  return null;
}

/** Every source of approvers for a request of `pid` asked by `rule`: its binding's, then the sets naming its units or the rule. */
export function sourcesOf(state: ChannelsState, pid: number, rule: string): ApproverSource[] {
  const out: ApproverSource[] = [];
  const binding = bindingReaching(state, pid);
  if (binding) out.push(binding);
  if (state.approverSets.size === 0) return out;
  const lineage = state.host.lineage(pid);
  const units = new Set([lineage.unit, ...lineage.ancestors.map((a) => a.unit)].filter((u) => u !== null));
  for (const s of state.approverSets.values())
    if ((s.unit !== null && units.has(s.unit)) || (s.rule !== null && s.rule === rule))
      out.push({ kind: 'set', id: s.id, channel: s.channel, approvers: approversOf(s) });
  return out;
}

/** The approvers a source names now: none once it is gone (unbound, removed). */
export function approversNow(state: ChannelsState, source: Pick<ApproverSource, 'kind' | 'id'>): string[] {
  const row = source.kind === 'binding' ? state.bindings.get(source.id) : state.approverSets.get(source.id);
  return row ? approversOf(row) : [];
}

/** `aos channel approvers add|ls|rm` on the kernel's channels (channels.ts's `approvers`). */
export class ApproverSets implements ApproverSetsApi {
  constructor(
    private readonly state: ChannelsState,
    private readonly channel: (name: string) => LiveChannel,
    private readonly listen: () => void,
  ) {}

  /** Start-up: the sets the store holds; whether there are any (then approvals are listened to). */
  load(rows: ApproverSetRecord[]): boolean {
    for (const s of rows) this.state.approverSets.set(s.id, s);
    return rows.length > 0;
  }

  /** A channel removed: its sets go with it (the store's rows went with its channel). */
  forgetChannel(name: string): void {
    for (const [id, s] of this.state.approverSets) if (s.channel === name) this.state.approverSets.delete(id);
  }

  async add(spec: ApproverSetSpec): Promise<ApproverSetInfo> {
    this.channel(spec.channel);
    const added = await addApproverSet(this.state, spec);
    this.listen();
    return added;
  }

  remove(id: string): Promise<ApproverSetInfo> {
    return removeApproverSet(this.state, id);
  }

  list(channel?: string): ApproverSetInfo[] {
    return [...this.state.approverSets.values()]
      .filter((s) => channel === undefined || s.channel === channel)
      .map(approverSetInfo);
  }
}

export function approverSetInfo(s: ApproverSetRecord): ApproverSetInfo {
  return { ...s, approvers: approversOf(s), created_at: iso(s.created_at) };
}

/** An approver set a person named: checked (a unit that exists, or a rule's text; persons' ids), kept and audited. */
export async function addApproverSet(state: ChannelsState, spec: ApproverSetSpec): Promise<ApproverSetInfo> {
  const unit = spec.unit?.trim() || null;
  const rule = spec.rule?.trim() || null;
  if ((unit === null) === (rule === null))
    throw new AosError('EINVAL', 'approvers name exactly one of --unit and --rule');
  if (unit !== null && !state.host.hasUnit(unit)) throw new AosError('ESRCH', `no unit named ${unit} (aos unit ls)`);
  if (rule !== null && (rule.length > 500 || /\p{Cc}/u.test(rule)))
    throw new AosError('EINVAL', '--rule: the rule as aos approvals shows it (one line, at most 500 characters)');
  const approvers = approversParam(spec.approvers, state.channels.get(spec.channel)?.spec.kind);
  if (approvers === null) throw new AosError('EINVAL', '--approvers: name at least one sender id');
  if (state.approverSets.size >= param.maxChannelBindings)
    throw new AosError('EAGAIN', `${param.maxChannelBindings} approver sets at most`);
  const row: ApproverSetRecord = {
    id: `a-${nanoid(8)}`,
    channel: spec.channel,
    unit,
    rule,
    approvers,
    created_at: Date.now(),
  };
  state.approverSets.set(row.id, row);
  state.host.store.channels.putApproverSet(row);
  auditSet(state, row, 'allow', `approvals of ${what(row)} decided by ${row.approvers} (${row.id})`);
  await state.host.store.committed();
  return approverSetInfo(row);
}

export async function removeApproverSet(state: ChannelsState, id: string): Promise<ApproverSetInfo> {
  const row = state.approverSets.get(id);
  if (!row) throw new AosError('ENOENT', `no approver set ${id} (aos channel approvers ls lists them)`);
  state.approverSets.delete(id);
  state.host.store.channels.removeApproverSet(id);
  auditSet(state, row, 'deny', `approvals of ${what(row)} no longer decided by ${row.approvers} (${row.id} removed)`);
  await state.host.store.committed();
  return approverSetInfo(row);
}

const what = (row: ApproverSetRecord): string => (row.unit !== null ? `unit ${row.unit}` : `rule ${row.rule ?? ''}`);

function auditSet(state: ChannelsState, row: ApproverSetRecord, decision: 'allow' | 'deny', reason: string): void {
  state.host.audit({
    pid: 0,
    call: 'CHANNEL',
    subject: `${row.channel}/approvers`,
    decision,
    rule: null,
    decided_by: 'person',
    reason,
  });
}
