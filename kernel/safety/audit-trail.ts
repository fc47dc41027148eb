/**
 * The audit trail around a call, an interceptor (call-interceptors.ts), always installed: what no
 * other interceptor decided but a reader of the trail must find — a call refused because its
 * process lacks the capability, and work answered as already there (a child of the same work, a
 * memory of the same text). The decisions themselves are recorded where they are made: the
 * policy's (policy-gate.ts), the exec gate's (exec-gate-policy.ts), a person's (approvals.ts).
 * It wraps only the calls that can answer with work already there: any other runs none of its code.
 */
import type { After, CallInterceptor, Step } from '../loop/call-chain.js';
import type { AuditLog } from '../store/api.js';

/** The calls whose answer may be work already there: SPAWN_AGENT (a live child doing it), MEM_WRITE (the same text stored). */
const DEDUPING: ReadonlySet<string> = new Set(['SPAWN_AGENT', 'MEM_WRITE']);

export function auditTrail(audit: AuditLog): CallInterceptor {
  /** Work that was already there: on the audit trail, as the result says it. */
  const deduped: After = (call, result) => {
    const value = result.ok ? result.value : null;
    if (value === null || typeof value !== 'object' || (value as { deduped?: unknown }).deduped !== true) return result;
    const { pid: child, id } = value as { pid?: number; id?: string };
    const what = child !== undefined ? `child ${child}` : `memory ${id ?? '?'}`;
    audit.record({
      pid: call.proc.pid,
      call: call.def.name,
      subject: what,
      decision: 'allow',
      rule: null,
      decided_by: 'policy',
      reason: `deduped: ${what} is the same work, answered instead of doing it again`,
    });
    return result;
  };
  const step: Step = { after: deduped };
  return {
    name: 'audit-trail',
    calls: DEDUPING,
    enter: () => step,
    lacked(proc, name, capability) {
      audit.record({
        pid: proc.pid,
        call: name,
        subject: capability,
        decision: 'deny',
        rule: `capability ${capability}`,
        decided_by: 'policy',
        reason: 'not held',
      });
    },
  };
}
