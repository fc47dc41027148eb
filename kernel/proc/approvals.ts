/**
 * Approvals: a call that meets an `ask` rule parks its process (blocked, reason `approval <id>`,
 * no tokens spent) until a person approves or denies it, or the policy's timeout denies it. The
 * request is a row in the store, so a restarted kernel keeps it and re-parks the process on it.
 */
import { randomBytes } from 'node:crypto';
import { AosError } from '../errno.js';
import type { AuditTrail } from '../store/audit.js';
import type { ApprovalRecord, ApprovalsTable } from '../store/approvals-table.js';
import { isEnded, type WaitSpec } from '../types.js';
import type { EventBus } from '../wire/events.js';
import type { Proc, WakeReason } from './proc.js';

export type Via = 'cli' | 'top' | 'mcp' | 'web';

export interface ApprovalCall {
  name: string;
  args: Record<string, unknown>;
  rule: string;
  subject: string;
}

export type ApprovalAnswer = { approved: true } | { approved: false; reason: string };

/** What `approvals` lists (the protocol's shape). */
export interface ApprovalView {
  id: string;
  pid: number;
  name: string;
  call: string;
  args: unknown;
  rule: string;
  requested_at: string;
  expires_at: string;
}

export interface ApprovalsHost {
  readonly events: EventBus;
  readonly closing: boolean;
  proc(pid: number): Proc | undefined;
  park(proc: Proc, spec: WaitSpec): Promise<WakeReason>;
}

export class Approvals {
  private readonly pending = new Map<string, ApprovalRecord>();
  /** Answers given while the process was parked; taken when it wakes. */
  private readonly answers = new Map<string, ApprovalAnswer & { pid: number }>();

  constructor(
    private readonly host: ApprovalsHost,
    private readonly table: ApprovalsTable,
    private readonly audit: AuditTrail,
    private readonly timeoutS: number,
  ) {
    for (const record of table.loadPending()) this.pending.set(record.id, record);
  }

  /** Park `proc` on a request for `call` (or on the one it was parked on before a restart) until it is answered. */
  async request(proc: Proc, call: ApprovalCall): Promise<ApprovalAnswer> {
    // Answered between a restart and the resumed call: the answer stands.
    for (const [id, answer] of this.answers) if (answer.pid === proc.pid) return this.takeAnswer(id) as ApprovalAnswer;
    const record = this.pendingOf(proc.pid) ?? this.open(proc, call);
    const deadline = Date.parse(record.expires_at);
    for (;;) {
      // Answered while the process was not parked (between a restart and its resumed turn).
      const early = this.takeAnswer(record.id);
      if (early) return early;
      const wake = await this.host.park(proc, { kind: 'approval', id: record.id, deadline });
      const answer = this.takeAnswer(record.id);
      if (answer) return answer;
      if (wake === 'timeout' || Date.now() >= deadline) {
        this.settle(record, 'expired', 'timeout', null, `no one answered within ${this.timeoutS}s`);
        return { approved: false, reason: `no one answered the approval request ${record.id} within ${this.timeoutS}s` };
      }
      // A timer or webhook notice wakes blocking calls; only a kill or a stopping kernel ends this one.
      if (proc.abort.signal.aborted || proc.killRequested || this.host.closing) break;
    }
    if (!this.host.closing) this.settle(record, 'expired', null, null, 'the process ended before an answer');
    throw new AosError('EINTR', `interrupted while waiting for approval ${record.id}`);
  }

  approve(id: string, via: Via | undefined): { id: string; pid: number } {
    const record = this.take(id);
    this.settle(record, 'approved', 'person', via ?? null, null);
    return this.answer(record, { approved: true });
  }

  deny(id: string, reason: string | undefined, via: Via | undefined): { id: string; pid: number } {
    const record = this.take(id);
    const why = reason?.trim() || 'denied by a person';
    this.settle(record, 'denied', 'person', via ?? null, why);
    return this.answer(record, { approved: false, reason: `denied by a person: ${why}` });
  }

  /** Pending requests of live processes, oldest first. */
  list(limit: number): ApprovalView[] {
    const out: ApprovalView[] = [];
    for (const r of this.pending.values()) {
      if (!this.liveProc(r.pid)) continue;
      out.push({ id: r.id, pid: r.pid, name: r.name, call: r.call, args: JSON.parse(r.args) as unknown, rule: r.rule, requested_at: r.requested_at, expires_at: r.expires_at });
      if (out.length >= limit) break;
    }
    return out;
  }

  private liveProc(pid: number): Proc | undefined {
    const proc = this.host.proc(pid);
    return proc && !isEnded(proc.pcb.state) ? proc : undefined;
  }

  private takeAnswer(id: string): ApprovalAnswer | undefined {
    const answer = this.answers.get(id);
    if (!answer) return undefined;
    this.answers.delete(id);
    return answer.approved ? { approved: true } : { approved: false, reason: answer.reason };
  }

  private pendingOf(pid: number): ApprovalRecord | undefined {
    for (const r of this.pending.values()) if (r.pid === pid) return r;
    return undefined;
  }

  private open(proc: Proc, call: ApprovalCall): ApprovalRecord {
    const now = Date.now();
    const record: ApprovalRecord = {
      id: randomBytes(4).toString('hex'),
      pid: proc.pid,
      name: proc.pcb.name,
      call: call.name,
      args: JSON.stringify(call.args),
      rule: call.rule,
      requested_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.timeoutS * 1000).toISOString(),
      status: 'pending',
      decided_by: null,
      via: null,
      reason: null,
      decided_at: null,
    };
    this.pending.set(record.id, record);
    this.table.add(record);
    this.audit.record({ pid: proc.pid, call: call.name, subject: call.subject, decision: 'ask', rule: call.rule, decided_by: 'policy', approval: record.id });
    this.host.events.emit({ type: 'approval', pid: proc.pid, id: record.id, call: call.name, rule: call.rule, status: 'pending' });
    return record;
  }

  private take(id: string): ApprovalRecord {
    const record = this.pending.get(id);
    if (!record || !this.liveProc(record.pid)) throw new AosError('ENOENT', `no pending approval ${id} (see aos approvals)`);
    return record;
  }

  private answer(record: ApprovalRecord, answer: ApprovalAnswer): { id: string; pid: number } {
    this.answers.set(record.id, { ...answer, pid: record.pid });
    this.liveProc(record.pid)?.wake('ready');
    return { id: record.id, pid: record.pid };
  }

  private settle(record: ApprovalRecord, status: 'approved' | 'denied' | 'expired', by: 'person' | 'timeout' | null, via: string | null, reason: string | null): void {
    this.pending.delete(record.id);
    Object.assign(record, { status, decided_by: by, via, reason, decided_at: new Date().toISOString() });
    this.table.settle(record);
    const subject = record.call;
    this.audit.record({ pid: record.pid, call: record.call, subject, decision: status, rule: record.rule, decided_by: by ?? 'policy', via, reason, approval: record.id });
    this.host.events.emit({
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
}
