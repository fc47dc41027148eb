/**
 * The policy gate's `propose` verdict (policy-gate.ts): a call aos can undo (proposals.ts) runs at
 * once and becomes a proposal once its write is journaled, its result telling the model it may be
 * undone until when; one it cannot undo is asked of a person instead, the reason in the rule shown.
 * The file is held from proposable() until the call's end (proposal-guards.ts): no undo of it meanwhile.
 */
import type { SyscallResult } from '../../sys/abi/result.js';
import { param } from '../../sys/param.js';
import { GO, type Call, type Step } from '../loop/call-chain.js';
import type { Decision } from './policy-decide.js';
import type { AuditLog, ProposalRecord } from '../store/api.js';
import type { Approvals } from './approvals.js';
import type { Proposals, Proposed } from './proposals.js';
import { isTaintRule } from './taint-policy.js';

/** The result the model reads: the call's, and that a person may still undo it. */
function told(result: SyscallResult, record: ProposalRecord): SyscallResult {
  if (!result.ok) return result;
  const proposal = {
    id: record.id,
    undo_until: record.expires_at,
    note: `this ran as a proposal: a person may undo it until ${record.expires_at}`,
  };
  const value = result.value;
  return {
    ok: true,
    value:
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { ...(value as Record<string, unknown>), proposal }
        : { value, proposal },
  };
}

/** What a proposal needs of the policy gate's host (policy-gate.ts PolicyGateHost). */
export interface ProposeHost {
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  readonly proposals: Proposals;
}

export async function proposeStep(host: ProposeHost, call: Call, decision: Decision): Promise<Step> {
  const { proc, def } = call;
  const rule = decision.rule ?? '(none)';
  const at = await host.proposals.proposable(proc, def.name, call.args);
  if (typeof at === 'string') {
    // A proposal whose effect aos cannot undo is an ask: the person sees why.
    const answer = await host.approvals.request(proc, {
      name: def.name,
      args: call.args,
      rule: `${rule} (asks: ${at})`,
      subject: decision.subject,
    });
    if (answer.approved) return GO;
    return { refused: { ok: false, errno: 'EACCES', message: `${def.name} was not approved: ${answer.reason}` } };
  }
  // A request a restart left for this call no longer stands: the policy lets it run now.
  try {
    host.approvals.withdraw(proc, { name: def.name, args: call.args }, (r) => !isTaintRule(r));
  } catch (error) {
    host.proposals.paths.wrote(at.path);
    throw error;
  }
  return {
    after: async (done, result) => {
      try {
        return done.state === 'settled' && result.ok ? await proposed(host, call, decision, at, result) : result;
      } finally {
        host.proposals.paths.wrote(at.path);
      }
    },
  };
}

/** The write ran: its proposal opened, its result saying so; or why it cannot be undone, on record. */
async function proposed(
  host: ProposeHost,
  { proc, def, args }: Call,
  decision: Decision,
  at: Proposed,
  result: SyscallResult,
): Promise<SyscallResult> {
  const rule = decision.rule ?? '(none)';
  const windowS = decision.windowS ?? param.proposalWindowS;
  const opened = await host.proposals.open(proc, { name: def.name, args, rule }, at, windowS);
  if (typeof opened !== 'string') return told(result, opened);
  host.audit.record({
    pid: proc.pid,
    call: def.name,
    subject: decision.subject,
    decision: 'allow',
    rule,
    decided_by: 'policy',
    reason: `ran under a propose rule, but cannot be undone: ${opened}`,
  });
  return result;
}
