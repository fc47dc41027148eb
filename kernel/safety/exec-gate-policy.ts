/**
 * The policy at the exec boundary (issue 27): the kernel's answer when the exec gate stops a
 * program that a deny or ask rule names, or that nothing can name. The program is the file the
 * kernel executed (drivers/exec/gate/), its arguments are the argv it received after its global
 * options (exec-argv.ts); the strictest matching rule wins, a deny is audited and refused, an ask
 * parks the process on an approval bound to that program and argv, like any other ask.
 */
import type { ExecGate, ExecVerdict, GatedExec } from '../../sys/driver-api.js';
import type { AuditLog } from '../store/api.js';
import type { Approvals } from './approvals.js';
import { ruleArgs } from './exec-argv.js';
import { compileExecGlob, RANK, type PolicyRule, type SafetyPolicy } from './policy-rules.js';
import type { Proc } from '../proc/proc.js';

export interface ExecGateHost {
  readonly policy: SafetyPolicy;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
}

/** The program a rule names (`rm` of `exec:rm *`), or null when its pattern names any program (the command line decides those). */
export function ruleProgram(rule: PolicyRule): string | null {
  if (rule.pattern === null) return null;
  const head = rule.pattern.split(' ')[0] ?? '';
  return /^[*?]+$/.test(head) || head === '' ? null : head;
}

/** Rules the gate holds: every deny and ask on exec (allow rules never stop anything). */
export function gateRules(policy: SafetyPolicy): PolicyRule[] {
  return policy.rules.filter((r) => r.kind === 'exec' && r.verdict !== 'allow');
}

/** What the gate must stop for: the rules' programs, or `*` (every program) when a rule names none. */
export function gatePrograms(rules: readonly PolicyRule[]): string[] {
  const heads = rules.map(ruleProgram);
  return heads.includes(null) ? ['*'] : [...new Set(heads as string[])];
}

interface Match {
  rule: PolicyRule;
  /** The program and its rule arguments (`git push -q`). */
  text: string;
  subject: string;
  note?: string;
}

function strictest(a: Match | null, b: Match): Match {
  return a === null || RANK[b.rule.verdict] > RANK[a.rule.verdict] ? b : a;
}

// The loader run as a program only looks when given one of these (ldd's --verify, --list): nothing runs.
const LOADER_LOOKS = new Set(['--verify', '--list', '--help', '--version', '--list-tunables', '--list-diagnostics']);

/** The rule an exec meets, or null when none does. */
export function matchExec(rules: readonly PolicyRule[], exec: GatedExec, written: 'strictest' | 'allow'): Match | null {
  const shown = [exec.path, ...exec.argv.slice(1)].join(' ');
  if (exec.how === 'loader' && exec.argv.length >= 2 && LOADER_LOOKS.has(exec.argv[1] as string)) return null;
  if (exec.programs.length === 0 && exec.how !== 'file') {
    if (exec.how === 'written' && written === 'allow') return null;
    const why = exec.how === 'loader' ? 'the dynamic loader runs a program the gate cannot name' : 'a program written in the sandbox is none a rule can name';
    let best: Match | null = null;
    for (const rule of rules) best = strictest(best, { rule, text: shown, subject: shown, note: `${why}: the strictest exec rule applies` });
    return best;
  }
  let best: Match | null = null;
  const consider = (program: string, named: boolean): void => {
    const { args, uncertain } = ruleArgs(program, exec.argv);
    const text = [program, ...args].join(' ');
    for (const rule of rules) {
      const head = ruleProgram(rule);
      // A rule on a program meets only the files that are it; a rule that names none (`exec:* --force`) meets every program.
      if (head === null || !named || !compileExecGlob(head).test(program)) continue;
      if (uncertain || exec.truncated || rule.regex === null || rule.regex.test(text)) best = strictest(best, matched(rule, text, uncertain ? program : null));
    }
    for (const rule of rules) {
      if (ruleProgram(rule) !== null) continue;
      if (exec.truncated || rule.regex === null || rule.regex.test(text)) best = strictest(best, matched(rule, text, null));
    }
  };
  const matched = (rule: PolicyRule, text: string, uncertainOf: string | null): Match => {
    const how = exec.how === 'file' ? '' : exec.how === 'copy' ? ', a copy of it' : `, through ${exec.path}`;
    return { rule, text: uncertainOf ? '' : text, subject: `${text} (${exec.path}${how})`, ...(uncertainOf ? { note: `${uncertainOf}'s arguments cannot be told (an alias?): every rule on it applies` } : {}) };
  };
  if (exec.programs.length > 0) for (const program of exec.programs) consider(program, true);
  else consider(exec.path.slice(exec.path.lastIndexOf('/') + 1), false);
  return best;
}

/**
 * The gate for one EXEC_CMD of `proc`, or null when no rule needs it. `approved`: the commands of
 * the line a person approved before it ran (as rules read them); the gate does not ask for those again.
 */
export function execGateFor(host: ExecGateHost, proc: Proc, cmd: string, approved: readonly string[] = []): ExecGate | null {
  const rules = gateRules(host.policy);
  if (rules.length === 0) return null;
  const programs = gatePrograms(rules);
  let queue: Promise<unknown> = Promise.resolve();
  return {
    programs,
    decide(exec): ExecVerdict | Promise<ExecVerdict> {
      const match = matchExec(rules, exec, host.policy.execWritten);
      if (match === null) return { allow: true };
      const { rule, subject, note } = match;
      if (rule.verdict === 'ask' && match.text !== '' && approved.includes(match.text)) return { allow: true };
      if (rule.verdict === 'deny') {
        host.audit.record({ pid: proc.pid, call: 'EXEC_CMD', subject, decision: 'deny', rule: rule.text, decided_by: 'policy', reason: note ?? 'at the exec gate' });
        return { allow: false, message: `refused by the policy rule ${rule.text}${note ? ` (${note})` : ''}` };
      }
      const args = { cmd, program: exec.path, argv: exec.argv };
      // One question at a time: two programs stopped at once wait for the person in turn.
      const asked = queue.then(() =>
        host.approvals.request(proc, { name: 'EXEC_CMD', args, rule: rule.text, subject, part: JSON.stringify([exec.path, exec.argv]) }).then((answer) =>
          answer.approved ? ({ allow: true } as const) : { allow: false as const, message: `was not approved: ${answer.reason}` },
        ),
      );
      queue = asked.catch(() => undefined);
      return asked;
    },
  };
}
