/**
 * The policy between a granted capability and the call: the strictest matching rule allows,
 * refuses (EACCES, naming the rule) or asks a person (approvals.ts); every decision is audited.
 * Secrets are substituted only after that, and masked out of what comes back (secrets.ts).
 */
import type { CallGate, GateCall, GateOutcome } from '../loop/dispatcher.js';
import type { AuditLog } from '../store/api.js';
import type { Approvals } from './approvals.js';
import { decideCall, type Decision } from './policy-decide.js';
import type { SafetyPolicy } from './policy-rules.js';
import type { Proc } from '../proc/proc.js';

export interface GateHost {
  readonly policy: SafetyPolicy;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  /** Secret substitution (secrets.ts) and the exec gate (exec-gate-policy.ts) for a call that passed the rules. */
  withSecrets?(proc: Proc, call: GateCall): GateOutcome;
  /** The rollback journal's hook for a call that changes the workspace (journal-hook.ts), or null. */
  journalCall?(proc: Proc, call: GateCall): Settled | Promise<Settled | null> | null;
}

type Settled = (ok: boolean) => void | Promise<void>;

function refused(name: string, decision: Decision, message: string): GateOutcome {
  return { refused: { ok: false, errno: 'EACCES', message: `${name} ${message}${decision.note ? ` (${decision.note})` : ''}` } };
}

export function gateFor(host: GateHost, proc: Proc): CallGate {
  const proceed = (call: GateCall): GateOutcome | Promise<GateOutcome> => {
    const out = host.withSecrets ? host.withSecrets(proc, call) : { args: call.args };
    const hook = 'refused' in out ? null : (host.journalCall?.(proc, call) ?? null);
    if (hook === null) return out;
    return hook instanceof Promise ? hook.then((settled) => (settled ? { ...out, settled } : out)) : { ...out, settled: hook };
  };
  return {
    check(call) {
      const decision = decideCall(host.policy.rules, call.capability, call.args);
      // A request a restart left for this call (or an older one) no longer stands when the policy does not ask.
      if (decision?.verdict !== 'ask') host.approvals.withdraw(proc, { name: call.def.name, args: call.args });
      if (decision === null) return proceed(call);
      const { def } = call;
      if (decision.verdict !== 'ask') {
        host.audit.record({ pid: proc.pid, call: def.name, subject: decision.subject, decision: decision.verdict, rule: decision.rule, decided_by: 'policy', reason: decision.note });
        if (decision.verdict === 'deny') return refused(def.name, decision, `was refused by the policy rule ${decision.rule ?? '(none)'}`);
        return proceed(call);
      }
      const rule = decision.rule ?? '(unparseable command line)';
      return host.approvals.request(proc, { name: def.name, args: call.args, rule, subject: decision.subject }).then((answer) =>
        answer.approved ? proceed(call) : refused(def.name, decision, `was not approved: ${answer.reason}`),
      );
    },
    lacked(call) {
      const subject = call.capability ?? call.def.name;
      host.audit.record({ pid: proc.pid, call: call.def.name, subject, decision: 'deny', rule: `capability ${subject}`, decided_by: 'policy', reason: 'not held' });
    },
  };
}
