/**
 * Approvals: a call that meets an `ask` rule parks its process (blocked, reason `approval <id>`,
 * no tokens spent) until a person approves or denies it, or the policy's timeout denies it. The
 * request is a row in the store, so a restarted kernel keeps it and re-parks the process on it —
 * unless it was asked while the command ran (the exec gate's, `during: 'run'`): that call is cut (EINTR).
 *
 * A request is bound to one call (issue 27.5): its turn, its index in the reply, and a hash of its
 * name and arguments (and of the part asked about: the exec gate asks per program, so one call may
 * ask more than once). Only that call takes its answer. A parked call whose request does not match
 * — the call changed across a restart, or the process moved on — gets a request of its own, and the
 * old one is settled `superseded`; one whose call no longer asks is settled `withdrawn`. Each is
 * audited (a request's record, opened and settled: approval-record.ts).
 */
import { createHash } from 'node:crypto';
import { AosError } from '../../sys/errno.js';
import type { ApprovalRecord, ApprovalRows, AuditLog } from '../store/api.js';
import { isEnded } from '../../sys/types.js';
import type { Proc } from '../proc/proc.js';
import { turnOf } from '../loop/turn-state.js';
import { park } from '../proc/lifecycle.js';
import type { ProcCore } from '../proc/api.js';
import {
  type ApprovalCall,
  type ApprovalView,
  bindingOf,
  openRecord,
  type RecordSinks,
  settleRecord,
} from './approval-record.js';

/** The way an answer came in, as the daemon knows it: its unix socket (the CLI, top, `aos mcp`, MCP over HTTP), or the web view. */
export type Via = 'socket' | 'web';
/** An answer from a chat's button (issue 52): `channel:<channel>/<sender>` (kernel/channels/chat-approvals.ts). */
export type ChatVia = `channel:${string}`;

export type ApprovalAnswer = { approved: true } | { approved: false; reason: string };

/** An answer: the request, and the rest of its group decided with it. */
export type Answered = { id: string; pid: number; also?: Array<{ id: string; pid: number }> };

export class Approvals {
  private readonly pending = new Map<string, ApprovalRecord>();
  /** Answers given while the process was parked; taken when it wakes, by the call the request is bound to only. */
  private readonly answers = new Map<string, ApprovalAnswer & { pid: number; binding: string | null }>();
  /** Where a request's record goes (approval-record.ts). */
  private readonly sinks: RecordSinks;

  constructor(
    /** Approvals park a process (proc/lifecycle.ts) and find it in the table. */
    private readonly host: ProcCore,
    private readonly table: ApprovalRows,
    private readonly audit: AuditLog,
    private timeoutS: number,
  ) {
    this.sinks = { pending: this.pending, table, audit, host };
    for (const record of table.loadPending()) this.pending.set(record.id, record);
  }

  /** How long requests opened from now on wait for an answer (an edited policy); open ones keep theirs. */
  retime(timeoutS: number): void {
    this.timeoutS = timeoutS;
  }

  /** Park `proc` on a request for `call` (or on the one it was parked on before a restart, if it is this call's) until it is answered. */
  async request(proc: Proc, call: ApprovalCall): Promise<ApprovalAnswer> {
    const binding = bindingOf(turnOf(proc), call);
    // Answered while the process was not parked on it: the answer stands for this call only.
    for (const [id, answer] of this.answers) {
      if (answer.pid !== proc.pid) continue;
      if (answer.binding === binding) return this.takeAnswer(id) as ApprovalAnswer;
      // The person answered, but the call waiting now is another: their answer is not used, and that is on record too.
      this.answers.delete(id);
      this.audit.record({
        pid: proc.pid,
        call: call.name,
        subject: call.subject,
        decision: 'superseded',
        rule: call.rule,
        decided_by: 'policy',
        reason: `request ${id} was answered for a call that is no longer the one waiting`,
        approval: id,
      });
    }
    this.supersede(proc.pid, binding);
    const record = this.pendingFor(proc.pid, binding) ?? this.open(proc, call, binding);
    const deadline = Date.parse(record.expires_at);
    for (;;) {
      // Answered while the process was not parked (between a restart and its resumed turn).
      const early = this.takeAnswer(record.id);
      if (early) return early;
      const wake = await park(this.host, proc, {
        kind: 'approval',
        id: record.id,
        deadline,
        ...(call.during ? { during: call.during } : {}),
      });
      const answer = this.takeAnswer(record.id);
      if (answer) return answer;
      if (wake === 'timeout' || Date.now() >= deadline) {
        this.settle(record, 'expired', 'timeout', null, `no one answered within ${this.timeoutS}s`);
        return {
          approved: false,
          reason: `no one answered the approval request ${record.id} within ${this.timeoutS}s`,
        };
      }
      // A timer or webhook notice wakes blocking calls; only a kill or a stopping kernel ends this one.
      if (proc.abort.signal.aborted || proc.killRequested || this.host.closing) break;
    }
    if (!this.host.closing) this.settle(record, 'expired', null, null, 'the process ended before an answer');
    throw new AosError('EINTR', `interrupted while waiting for approval ${record.id}`);
  }

  /** A restart cut the command `proc` ran while it waited for request `id` (asked mid-run): settled `expired` with `reason`, never re-parked (kernel/loop/calls.ts). */
  cutByRestart(proc: Proc, id: string, reason: string): void {
    this.answers.delete(id);
    const record = this.pending.get(id);
    if (record?.pid === proc.pid) this.settle(record, 'expired', null, null, reason);
  }

  /** A request of this kernel's still waiting for its answer: `id`, or (no id) any. */
  has(id?: string): boolean {
    return id === undefined ? this.pending.size > 0 : this.pending.has(id);
  }

  /** Approve `id`, and (`also`) the requests of its group the person saw: each settled and audited on its own. */
  approve(id: string, via: Via | ChatVia, also: readonly string[] = []): Answered {
    return this.decide(id, also, (record) => {
      this.settle(record, 'approved', 'person', via, null);
      return this.answer(record, { approved: true });
    });
  }

  deny(id: string, reason: string | undefined, via: Via | ChatVia, also: readonly string[] = []): Answered {
    const why = reason?.trim() || 'denied by a person';
    return this.decide(id, also, (record) => {
      this.settle(record, 'denied', 'person', via, why);
      return this.answer(record, { approved: false, reason: `denied by a person: ${why}` });
    });
  }

  /**
   * One request and the others named with it. Only the ids the person was shown are decided — a
   * request that joined the group since is not — and each must be the very same question (sameAs),
   * compared whole, or nothing is decided. One answered or expired meanwhile is left out.
   */
  private decide(
    id: string,
    also: readonly string[],
    one: (record: ApprovalRecord) => { id: string; pid: number },
  ): Answered {
    const first = this.take(id);
    const key = this.sameAs(first);
    const others = [...new Set(also)]
      .filter((o) => o !== id)
      .flatMap((o) => {
        const record = this.pending.get(o);
        return record && this.liveProc(record.pid) ? [record] : [];
      });
    for (const r of others) {
      if (key === null || this.sameAs(r) !== key)
        throw new AosError(
          'EINVAL',
          `approval ${r.id} is not the same call as ${id} from the same process tree: answer it on its own`,
        );
    }
    const answered = one(first);
    return also.length === 0 ? answered : { ...answered, also: others.map(one) };
  }

  /**
   * What a person decides on: the process tree, the rule that asked, the call, its arguments as
   * written and the part asked about (the binding's digest). Null for a request older than bindings.
   */
  private sameAs(record: ApprovalRecord): string | null {
    if (record.binding === null) return null;
    const tree = this.host.table.get(record.pid)?.tree ?? record.pid;
    return JSON.stringify([
      tree,
      record.rule,
      record.call,
      record.args,
      record.subject ?? null,
      record.binding.slice(record.binding.indexOf(':') + 1),
    ]);
  }

  /** The inbox's group of a request: a digest of sameAs (its own id when it has none). */
  private groupOf(record: ApprovalRecord): string {
    const same = this.sameAs(record);
    return same === null ? record.id : createHash('sha256').update(same).digest('base64url');
  }

  /** Pending requests of live processes, oldest first; those of ended processes are settled on the way. */
  list(limit: number): ApprovalView[] {
    const out: ApprovalView[] = [];
    for (const r of [...this.pending.values()]) {
      const proc = this.liveProc(r.pid);
      if (!proc) {
        if (!this.host.closing && this.host.table.get(r.pid) === undefined)
          this.settle(r, 'expired', null, null, 'the process ended before an answer');
        continue;
      }
      out.push({
        id: r.id,
        pid: r.pid,
        name: r.name,
        call: r.call,
        args: JSON.parse(r.args) as unknown,
        rule: r.rule,
        subject: r.subject ?? r.call,
        requested_at: r.requested_at,
        expires_at: r.expires_at,
        group: this.groupOf(r),
        group_size: 0,
        ...(proc.taint.tainted ? { taint: proc.taint.view() } : {}),
      });
      if (out.length >= limit) break;
    }
    const sizes = new Map<string, number>();
    for (const v of out) sizes.set(v.group, (sizes.get(v.group) ?? 0) + 1);
    return out.map((v) => ({ ...v, group_size: sizes.get(v.group) ?? 1 }));
  }

  private liveProc(pid: number): Proc | undefined {
    const proc = this.host.table.get(pid);
    return proc && !isEnded(proc.pcb.state) ? proc : undefined;
  }

  private takeAnswer(id: string): ApprovalAnswer | undefined {
    const answer = this.answers.get(id);
    if (!answer) return undefined;
    this.answers.delete(id);
    return answer.approved ? { approved: true } : { approved: false, reason: answer.reason };
  }

  private pendingFor(pid: number, binding: string): ApprovalRecord | undefined {
    for (const r of this.pending.values()) if (r.pid === pid && r.binding === binding) return r;
    return undefined;
  }

  /** The process is at another call than these requests of its were for: they will not be answered for it. */
  private supersede(pid: number, binding: string): void {
    for (const r of [...this.pending.values()]) {
      if (r.pid === pid && r.binding !== binding)
        this.settle(r, 'superseded', null, null, 'the call it asked about is no longer the one waiting');
    }
  }

  /**
   * The policy no longer asks for the call `proc` is at: a request bound to it is settled
   * `withdrawn`, any other of the process's `superseded`. Cheap when nothing is pending. `owns`: the
   * requests of the gate that no longer asks (the policy's rules, or its `taint:` settings, each
   * withdraws only its own: a restart's request of the other stays to be taken again).
   */
  withdraw(proc: Proc, call: Pick<ApprovalCall, 'name' | 'args'>, owns: (rule: string) => boolean = () => true): void {
    if (this.pending.size === 0) return;
    let mine = false;
    for (const r of this.pending.values()) mine ||= r.pid === proc.pid && owns(r.rule);
    if (!mine) return;
    for (const r of [...this.pending.values()]) {
      if (r.pid !== proc.pid || !owns(r.rule)) continue;
      // The call it is at, whatever it was asked about (the policy asks about none of it now).
      if (r.binding === bindingOf(turnOf(proc), { ...call, subject: r.subject }))
        this.settle(r, 'withdrawn', null, null, 'the policy no longer asks for this call');
      else this.settle(r, 'superseded', null, null, 'the call it asked about is no longer the one waiting');
    }
  }

  private open(proc: Proc, call: ApprovalCall, binding: string): ApprovalRecord {
    return openRecord(this.sinks, proc, call, binding, this.timeoutS);
  }

  private take(id: string): ApprovalRecord {
    const record = this.pending.get(id);
    if (!record || !this.liveProc(record.pid))
      throw new AosError('ENOENT', `no pending approval ${id} (see aos approvals)`);
    return record;
  }

  private answer(record: ApprovalRecord, answer: ApprovalAnswer): { id: string; pid: number } {
    this.answers.set(record.id, { ...answer, pid: record.pid, binding: record.binding });
    // Only a process parked on this very request is woken; one waiting on anything else is left alone.
    const proc = this.liveProc(record.pid);
    const wait = proc?.pcb.wait;
    if (proc && wait?.kind === 'approval' && wait.id === record.id) proc.wake('ready');
    return { id: record.id, pid: record.pid };
  }

  private settle(
    record: ApprovalRecord,
    status: Exclude<ApprovalRecord['status'], 'pending'>,
    by: 'person' | 'timeout' | null,
    via: string | null,
    reason: string | null,
  ): void {
    settleRecord(this.sinks, record, status, by, via, reason);
  }
}
