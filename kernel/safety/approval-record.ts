/**
 * An approval request's record (approvals.ts parks and answers): the call it is bound to — its turn,
 * its index in the reply, a digest of its name, arguments and the part asked about (bindingOf) —
 * opened as a row with an `ask` audit record and an `approval` event, and settled (approved,
 * denied, expired, superseded, withdrawn) the same three ways; and what `approvals` lists of it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson } from '../../sys/canonical-json.js';
import type { ApprovalRecord, ApprovalRows, AuditLog } from '../store/api.js';
import type { Proc } from '../proc/proc.js';
import type { TurnState } from '../loop/turn-state.js';
import type { ProcCore } from '../proc/api.js';
import type { TaintView } from '../../sys/taint.js';

export interface ApprovalCall {
  name: string;
  args: Record<string, unknown>;
  rule: string;
  subject: string;
  /** The part asked about when one call asks more than once (the exec gate: a program as it will run). */
  part?: string;
  /** `run`: asked while the call's command ran (the exec gate), so a restart cuts the call (EINTR), never parks it again. */
  during?: 'run';
}

/**
 * The call a request is for: where it is in the process's turns, and what it is — its arguments and
 * what the rule was asked about, resolved (CHANNEL_SEND {"to":"inbound"} is a chat found at the
 * gate: the same words aimed at another chat are another call, which this answer never covers).
 */
export function bindingOf(
  proc: Pick<TurnState, 'pending'>,
  call: Pick<ApprovalCall, 'name' | 'args' | 'part'> & { subject?: string | null },
): string {
  const at = proc.pending ? `${proc.pending.turn}.${proc.pending.next}` : '-';
  const digest = createHash('sha256')
    .update(canonicalJson({ name: call.name, args: call.args, part: call.part ?? null, subject: call.subject ?? null }))
    .digest('hex');
  return `${at}:${digest}`;
}

/** What `approvals` lists (the protocol's shape). */
export interface ApprovalView {
  id: string;
  pid: number;
  name: string;
  call: string;
  args: unknown;
  rule: string;
  /** What the rule was asked about: a path, a command, a CHANNEL_SEND's `<channel>/<chat>` (resolved, not as the model wrote it). */
  subject: string;
  requested_at: string;
  expires_at: string;
  /** The same call from the same tree shares a group (the inbox shows them together; `group: true` decides them at once). */
  group: string;
  /** Pending requests in its group, itself included. */
  group_size: number;
  /** Its process holds outside content (issue 49): where it came from, so the person sees why. */
  taint?: TaintView;
}

/** Where a request's record goes: the pending requests in memory, their rows, the audit trail, the events. */
export interface RecordSinks {
  readonly pending: Map<string, ApprovalRecord>;
  readonly table: ApprovalRows;
  readonly audit: AuditLog;
  readonly host: ProcCore;
}

/** A request for `call` of `proc`, bound to `binding`, answered within `timeoutS`. */
export function openRecord(
  sinks: RecordSinks,
  proc: Proc,
  call: ApprovalCall,
  binding: string,
  timeoutS: number,
): ApprovalRecord {
  const now = Date.now();
  const record: ApprovalRecord = {
    id: randomBytes(4).toString('hex'),
    pid: proc.pid,
    name: proc.pcb.name,
    call: call.name,
    args: JSON.stringify(call.args),
    rule: call.rule,
    requested_at: new Date(now).toISOString(),
    expires_at: new Date(now + timeoutS * 1000).toISOString(),
    status: 'pending',
    decided_by: null,
    via: null,
    reason: null,
    decided_at: null,
    binding,
    subject: call.subject,
  };
  sinks.pending.set(record.id, record);
  sinks.table.add(record);
  sinks.audit.record({
    pid: proc.pid,
    call: call.name,
    subject: call.subject,
    decision: 'ask',
    rule: call.rule,
    decided_by: 'policy',
    approval: record.id,
  });
  sinks.host.events.emit({
    type: 'approval',
    pid: proc.pid,
    id: record.id,
    call: call.name,
    rule: call.rule,
    status: 'pending',
  });
  return record;
}

/** A request decided (`by` a person, its timeout, or the policy when null), with `via` and `reason`. */
export function settleRecord(
  sinks: RecordSinks,
  record: ApprovalRecord,
  status: Exclude<ApprovalRecord['status'], 'pending'>,
  by: 'person' | 'timeout' | null,
  via: string | null,
  reason: string | null,
): void {
  sinks.pending.delete(record.id);
  Object.assign(record, { status, decided_by: by, via, reason, decided_at: new Date().toISOString() });
  sinks.table.settle(record);
  const subject = record.subject ?? record.call;
  sinks.audit.record({
    pid: record.pid,
    call: record.call,
    subject,
    decision: status,
    rule: record.rule,
    decided_by: by ?? 'policy',
    via,
    reason,
    approval: record.id,
  });
  sinks.host.events.emit({
    type: 'approval',
    pid: record.pid,
    id: record.id,
    call: record.call,
    rule: record.rule,
    status,
    ...(by ? { decided_by: by } : {}),
    ...(via ? { via } : {}),
    ...(reason ? { reason } : {}),
  });
}
