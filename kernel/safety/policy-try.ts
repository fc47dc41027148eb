/**
 * A candidate policy tried on past runs without running them (issue 52.3, `aos policy check
 * --against`): each recorded call is prepared as the kernel prepares it (kernel/loop/calls.ts
 * prepare: its syscall, its arguments, the capability it needs, held or not) and decided by the
 * same rules the live gate reads (policy-decide.ts) — an exec line by the strictest rule any of
 * its commands meets, asks included, as the exec gate would ask for it. What happened to the call
 * is read from its events: an approval asked between its syscall and its result (and its answer),
 * a refusal naming a policy rule, a refusal before the policy (bad arguments, a capability it does
 * not hold), a decision of the taint policy (not tried again here: what the process had read is
 * the run's). Pure: the caller hands the events, the capabilities and a mask for what is shown.
 */
import type { KernelEvent } from '../../protocol/events.js';
import { callLine, showCall } from '../../protocol/show-call.js';
import type { ParsedBlock } from '../../sys/abi/parser.js';
import { CapabilitySet } from '../../sys/capabilities.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { NO_CALL_CONTEXT, type SyscallContext } from '../../syscalls/define.js';
import { toVirtualPathFrom } from '../../drivers/fs/virtual-path.js';
import { prepare } from '../loop/calls.js';
import { decideCall, strictestOnLine } from './policy-decide.js';
import type { SafetyPolicy } from './policy-rules.js';
import { isTaintRule } from './taint-policy.js';

/**
 * What a policy does with a call: allow, ask, deny (or an effect a newer policy names, compared as
 * it is); `refused` before any rule (bad arguments, no such syscall, a capability not held);
 * `taint` decided by the taint policy; `unknown` when it cannot be told without running it.
 */
export type Outcome = string;

export interface CallDecision {
  verdict: Outcome;
  rule: string | null;
  /** Why, when the verdict is not a rule's: the refusal, or what cannot be told. */
  note?: string;
  /** An approval's answer: approved, denied, expired, … */
  answer?: string;
  /** Decided by the exec gate at a program the line started, as it ran (not shown: only what it decided is). */
  gate?: true;
}

/** An audit row, as far as telling the exec gate's refusals goes (kernel/store/audit.ts). */
export interface AuditSeen {
  ts: string;
  call: string;
  decision: string;
  rule: string | null;
  decided_by: string;
}

/** One call of a run, as recorded. */
export interface RecordedCall {
  pid: number | null;
  /** A tape's call: the tape and its agent. */
  agent?: string;
  turn: number;
  seq: number;
  name: string;
  args: Record<string, unknown>;
}

/** Who made the call: what it held and where its relative paths land. */
export interface Maker {
  capabilities: readonly string[];
  cwd: string;
}

export interface TriedRow {
  pid: number | null;
  agent?: string;
  turn: number;
  seq: number;
  call: string;
  /** The call as `aos approvals` shows it, secret values masked. */
  shown: string;
  before: CallDecision;
  after: CallDecision;
}

export interface TryReport {
  /** Calls tried. */
  calls: number;
  /** Only the calls whose outcome differs. */
  rows: TriedRow[];
  /** `same`, `taint` (not tried again), `unknown`, and `before→after` for each kind of difference. */
  counts: Record<string, number>;
}

const NOT_TOLD = 'which chat a send goes to is known only when it runs';

/** The context a capability is computed in, as the process had it: its cwd for paths; nothing that runs. */
function replayContext(pid: number | null, maker: Maker): SyscallContext {
  const fs = { virtualPath: (input: string) => toVirtualPathFrom(maker.cwd, input, param.fsMaxPathLength) };
  const proc = {
    channelOf: (): never => {
      throw new AosError('EINVAL', NOT_TOLD);
    },
  };
  return {
    pid: pid ?? 0,
    ppid: null,
    caps: new CapabilitySet(maker.capabilities),
    signal: new AbortController().signal,
    drivers: { fs },
    proc,
    call: NO_CALL_CONTEXT,
  } as unknown as SyscallContext;
}

/** What `policy` would do with `call`, made by `maker`: prepared as the kernel does, decided as its gates do. */
export function wouldDecide(policy: SafetyPolicy, maker: Maker, call: RecordedCall): CallDecision {
  const block: ParsedBlock = { ok: true, index: call.seq, name: call.name, args: call.args, raw: '' };
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(block, replayContext(call.pid, maker));
  } catch (error) {
    return { verdict: 'unknown', rule: null, note: (error as Error).message };
  }
  if (!('def' in prepared)) {
    const result = prepared.result;
    if (result.ok) return { verdict: 'refused', rule: null };
    // A capability that cannot be computed without running (a send's chat) is not a refusal.
    if (result.message.includes(NOT_TOLD)) return { verdict: 'unknown', rule: null, note: NOT_TOLD };
    return { verdict: 'refused', rule: null, note: `${result.errno} ${result.message}` };
  }
  const { capability, args } = prepared;
  if (capability !== null && capability.startsWith('exec') && (capability === 'exec' || capability[4] === ':')) {
    const rules = policy.rules.filter((r) => r.kind === 'exec');
    if (rules.length === 0) return { verdict: 'allow', rule: null };
    const cmd = typeof args.cmd === 'string' ? args.cmd : '';
    const best = strictestOnLine(rules, cmd);
    if (best === undefined) {
      // The gate alone decides a line the first check cannot follow: only a policy with no deny or ask rule is sure to allow it.
      return rules.every((r) => r.verdict === 'allow')
        ? { verdict: 'allow', rule: null }
        : { verdict: 'unknown', rule: null, note: 'the line cannot be followed: the exec gate decides per program' };
    }
    if (best === null) return { verdict: 'allow', rule: null };
    return { verdict: best.verdict, rule: best.rule, ...(best.note ? { note: best.note } : {}) };
  }
  const decision = decideCall(policy.rules, capability, args);
  if (decision === null) return { verdict: 'allow', rule: null };
  return { verdict: decision.verdict, rule: decision.rule, ...(decision.note ? { note: decision.note } : {}) };
}

/** The policy gate's refusal (policy-gate.ts), at the start of the message: a path or a word the model wrote cannot pose as one. */
const POLICY_REFUSAL = /^[A-Z_]+ was refused by the policy rule ([a-z]+: "(?:[^"\\]|\\.)*")/;
const TAINT_REFUSAL = /^[A-Z_]+ was refused by the policy's taint\./;
/** The refusals of a call prepared (kernel/loop/calls.ts prepare), before any interceptor: no rule was asked. */
const BEFORE_POLICY = /^(?:malformed syscall|no such syscall |bad arguments for |[A-Z_]+ needs capability ")/;

type SyscallEvent = Extract<KernelEvent, { type: 'syscall' }>;
type ResultEvent = Extract<KernelEvent, { type: 'result' }>;
type ApprovalEvent = Extract<KernelEvent, { type: 'approval' }>;

/** A rule with another effect that let the call run (a `propose`: kernel/safety/proposals.ts), as its event says. */
interface OtherEffect {
  type: string;
  rule: string;
}

/** What happened to a call, from its result and the approvals (or another effect's event) between its syscall and its result. */
function happened(
  result: ResultEvent | null,
  approvals: readonly ApprovalEvent[],
  other: OtherEffect | null,
): CallDecision {
  if (other !== null) return { verdict: other.type, rule: other.rule };
  const asked = approvals.filter((a) => a.status !== 'pending');
  const last = asked[asked.length - 1] ?? approvals[approvals.length - 1];
  if (last !== undefined) {
    if (isTaintRule(last.rule)) return { verdict: 'taint', rule: last.rule, answer: last.status };
    return { verdict: 'ask', rule: last.rule, answer: last.status };
  }
  if (result === null) return { verdict: 'unknown', rule: null, note: 'the call has no result (the run was cut)' };
  if (result.ok) return { verdict: 'allow', rule: null };
  const message = result.message ?? '';
  const rule = POLICY_REFUSAL.exec(message);
  if (result.errno === 'EACCES' && rule) return { verdict: 'deny', rule: rule[1] ?? null };
  if (result.errno === 'EACCES' && TAINT_REFUSAL.test(message)) return { verdict: 'taint', rule: null, note: message };
  if (BEFORE_POLICY.test(message)) return { verdict: 'refused', rule: null, note: `${result.errno} ${message}` };
  // It ran and failed (no such file, a timeout…), or failed as it was prepared (a path that escapes): no rule refused it.
  return { verdict: 'allow', rule: null, note: `${result.errno ?? 'EIO'} ${message}` };
}

const when = (ts: unknown): number => (typeof ts === 'number' ? ts : Date.parse(String(ts)));

/**
 * An exec line that ran, one of whose programs the exec gate refused as it ran: no result says so
 * (the line goes on, the program fails), its audit row does — a deny of EXEC_CMD between the
 * call's syscall and its result.
 */
function gateRefusal(
  event: SyscallEvent,
  result: ResultEvent | null,
  before: CallDecision,
  audit: readonly AuditSeen[],
): CallDecision {
  if (event.name !== 'EXEC_CMD' || result === null || before.verdict !== 'allow') return before;
  const [from, to] = [when(event.ts), when(result.ts)];
  const row = audit.find(
    (r) =>
      r.call === 'EXEC_CMD' &&
      r.decided_by === 'policy' &&
      r.decision === 'deny' &&
      when(r.ts) >= from &&
      when(r.ts) <= to,
  );
  return row
    ? { verdict: 'deny', rule: row.rule, note: 'the exec gate refused a program the line started', gate: true }
    : before;
}

/** The calls of one process's events, oldest first, each with what happened to it. */
export function callsOf(
  events: readonly KernelEvent[],
  audit: readonly AuditSeen[] = [],
): Array<{ call: RecordedCall; before: CallDecision }> {
  const out: Array<{ call: RecordedCall; before: CallDecision }> = [];
  let open: { event: SyscallEvent; approvals: ApprovalEvent[]; other: OtherEffect | null } | null = null;
  const close = (result: ResultEvent | null): void => {
    if (open === null) return;
    const { event } = open;
    out.push({
      call: { pid: event.pid, turn: event.turn, seq: event.seq, name: event.name, args: event.args ?? {} },
      before: gateRefusal(event, result, happened(result, open.approvals, open.other), audit),
    });
    open = null;
  };
  for (const event of events) {
    if (event.type === 'syscall') {
      close(null);
      open = { event, approvals: [], other: null };
    } else if (event.type === 'approval' && open !== null) open.approvals.push(event);
    else if (event.type === 'proposal' && open !== null) open.other = { type: 'propose', rule: event.rule };
    else if (event.type === 'result' && open !== null && event.turn === open.event.turn && event.seq === open.event.seq)
      close(event);
  }
  close(null);
  return out;
}

/** The key a pair of outcomes is counted under. */
function countKey(before: Outcome, after: Outcome): string {
  if (before === 'taint') return 'taint';
  if (before === 'unknown' || after === 'unknown') return 'unknown';
  return before === after ? 'same' : `${before}→${after}`;
}

/**
 * Each call decided by the candidate, beside what happened to it (`before`, or for a tape the
 * policy in force's decision): the rows that differ, and every call counted.
 */
export function tryCalls(
  calls: ReadonlyArray<{ call: RecordedCall; before: CallDecision; maker: Maker }>,
  candidate: SafetyPolicy,
  shown: (text: string) => string,
  candidateMaker?: (maker: Maker) => Maker,
): TryReport {
  const counts: Record<string, number> = {};
  const rows: TriedRow[] = [];
  for (const { call, before, maker } of calls) {
    const after = wouldDecide(candidate, candidateMaker ? candidateMaker(maker) : maker, call);
    // What the gate refused at a program the line started is told again only by running it: unless a rule on the line decides.
    if (before.gate === true && after.verdict === 'allow')
      Object.assign(after, { verdict: 'unknown', note: 'the exec gate decided a program the line started, as it ran' });
    // Refused as it was prepared, then as now (a path that escapes the workspace): no rule's doing, the same.
    if (after.verdict === 'refused' && before.verdict === 'allow' && before.note === after.note)
      after.verdict = 'allow';
    const key = countKey(before.verdict, after.verdict);
    counts[key] = (counts[key] ?? 0) + 1;
    if (key === 'same' || key === 'taint' || key === 'unknown') continue;
    if (rows.length >= param.policyTryMaxRows) continue;
    rows.push({
      pid: call.pid,
      ...(call.agent === undefined ? {} : { agent: shown(call.agent) }),
      turn: call.turn,
      seq: call.seq,
      call: shown(call.name),
      shown: shown(callLine(showCall({ call: call.name, args: call.args }, { preview: 80 }), 400)),
      before: maskDecision(before, shown),
      after: maskDecision(after, shown),
    });
  }
  return { calls: calls.length, rows, counts };
}

function maskDecision(d: CallDecision, shown: (text: string) => string): CallDecision {
  return {
    verdict: d.verdict,
    rule: d.rule === null ? null : shown(d.rule),
    ...(d.note === undefined ? {} : { note: shown(d.note) }),
    ...(d.answer === undefined ? {} : { answer: d.answer }),
  };
}
