/**
 * The policy around a call, an interceptor (call-interceptors.ts): the strictest matching rule
 * allows, refuses (EACCES, naming the rule), proposes (runs it now, undoable for its window:
 * proposals.ts; a call that cannot be undone asks instead) or asks a person (approvals.ts), and
 * each allow or deny is on the audit trail. Installed while the policy has rules, or a request it asked is pending (a
 * restart left it: it is withdrawn when its call no longer asks). Rules are read at each call, so a
 * reload reaches the next decision; secrets are filled in only after it (secrets.ts).
 */
import { GO, type CallInterceptor, type Step } from '../loop/call-chain.js';
import type { AuditLog } from '../store/api.js';
import type { Approvals } from './approvals.js';
import { proposeStep } from './propose-step.js';
import type { Proposals } from './proposals.js';
import { decideCall, type Decision } from './policy-decide.js';
import type { SafetyPolicy } from './policy-rules.js';
import { isTaintRule } from './taint-policy.js';

export interface PolicyGateHost {
  readonly policy: SafetyPolicy;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  readonly proposals: Proposals;
}

function refused(name: string, decision: Decision, message: string): Step {
  return {
    refused: { ok: false, errno: 'EACCES', message: `${name} ${message}${decision.note ? ` (${decision.note})` : ''}` },
  };
}

export function policyGate(host: PolicyGateHost): CallInterceptor {
  return {
    name: 'policy',
    enter(call) {
      const { proc, def } = call;
      const decision = decideCall(host.policy.rules, call.capability, call.args);
      // A request a restart left for this call (or an older one) no longer stands when the policy does not ask.
      if (decision?.verdict !== 'ask' && decision?.verdict !== 'propose')
        host.approvals.withdraw(proc, { name: def.name, args: call.args }, (rule) => !isTaintRule(rule));
      if (decision === null) return GO;
      if (decision.verdict === 'propose') return proposeStep(host, call, decision);
      if (decision.verdict !== 'ask') {
        host.audit.record({
          pid: proc.pid,
          call: def.name,
          subject: decision.subject,
          decision: decision.verdict,
          rule: decision.rule,
          decided_by: 'policy',
          reason: decision.note,
        });
        if (decision.verdict === 'deny')
          return refused(def.name, decision, `was refused by the policy rule ${decision.rule ?? '(none)'}`);
        return GO;
      }
      const rule = decision.rule ?? '(unparseable command line)';
      return host.approvals
        .request(proc, { name: def.name, args: call.args, rule, subject: decision.subject })
        .then((answer) => (answer.approved ? GO : refused(def.name, decision, `was not approved: ${answer.reason}`)));
    },
  };
}
