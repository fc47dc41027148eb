/**
 * `taint.exec` at the exec boundary (issue 49): a tainted process's EXEC_CMD runs under a gate that
 * stops every program it starts — `ask` parks the process on an approval of exactly that program
 * (its file, argv, directory and changed environment), as an `ask: exec` rule does
 * (exec-gate-policy.ts), with the outside content that tainted it shown beside it; `deny` refuses
 * each. The policy's own exec rules are asked first, through the gate the exec-gate interceptor
 * handed the call: the strictest answer wins.
 */
import { SANDBOX_ENV } from '../../drivers/exec/bwrap-args.js';
import { canonicalJson } from '../../sys/canonical-json.js';
import type { ExecGate, ExecVerdict, GatedExec } from '../../sys/driver-api.js';
import { andThen } from '../../sys/waking.js';
import type { AuditLog } from '../store/api.js';
import type { Proc } from '../proc/proc.js';
import type { Approvals } from './approvals.js';
import { shownExec, subjectOf, unshowable } from './exec-gate-policy.js';
import type { TaintVerdict } from './taint-policy.js';
import { quoteArgv } from '../../protocol/show-call.js';

export interface TaintExecHost {
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  shown?(text: string): string;
}

const RULE = (verdict: TaintVerdict): string => `taint.exec: ${verdict}`;

/** The gate a tainted process's EXEC_CMD runs under: every program stopped, `inner` (the policy's rules) asked first. */
export function taintExecGate(
  host: TaintExecHost,
  proc: Proc,
  verdict: Exclude<TaintVerdict, 'allow'>,
  cmd: string,
  inner: ExecGate | undefined,
  secretRun: boolean,
): ExecGate {
  const shown = (text: string): string => (host.shown ? host.shown(text) : text);
  const base = secretRun ? { ...SANDBOX_ENV, HOME: '/tmp' } : SANDBOX_ENV;
  let queue: Promise<unknown> = Promise.resolve();
  const ours = (exec: GatedExec): ExecVerdict | Promise<ExecVerdict> => {
    const view = shownExec(exec, base, shown);
    const subject = subjectOf(view, shown(`${quoteArgv(exec.argv)}${exec.path ? ` (${exec.path})` : ''}`));
    const why = verdict === 'deny' ? 'the process holds outside content' : unshowable(exec);
    if (why) {
      host.audit.record({
        pid: proc.pid,
        call: 'EXEC_CMD',
        subject,
        decision: 'deny',
        rule: RULE(verdict),
        decided_by: 'policy',
        reason: why,
      });
      return { allow: false, message: `refused by the policy's ${RULE(verdict)}: ${why}` };
    }
    const args = { cmd, ...view };
    // One question at a time, bound to the program as shown: an approval lets through that one and no other.
    const asked = queue.then(() =>
      host.approvals
        .request(proc, {
          name: 'EXEC_CMD',
          args,
          rule: RULE(verdict),
          subject,
          part: canonicalJson(view),
          during: 'run',
        })
        .then((answer) =>
          answer.approved
            ? ({ allow: true } as const)
            : { allow: false as const, message: `was not approved: ${answer.reason}` },
        ),
    );
    queue = asked.catch(() => undefined);
    return asked;
  };
  return {
    programs: ['*'],
    ...(inner?.watch ? { watch: (listener) => inner.watch?.(() => listener(['*'])) ?? (() => undefined) } : {}),
    decide(exec) {
      if (!inner) return ours(exec);
      return andThen(inner.decide(exec), (answer) => (answer.allow ? ours(exec) : answer));
    },
  };
}
