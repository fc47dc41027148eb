/**
 * The policy at the exec boundary (issues 27, 46): the kernel's answer when the exec gate stops a
 * program that a deny or ask rule names, or that nothing can name. The program is the file the
 * kernel executed (drivers/exec/gate/) — or, for an interpreter, the ruled script or module it
 * was given — and its words are read as that program reads them (exec-pattern.ts). The strictest
 * matching rule wins (exec-gate-match.ts); a deny is audited and refused; an ask parks the process
 * on an approval of exactly what will run: the program's file, its argv, its working directory and
 * the environment that differs from the sandbox's own, secrets shown as `{{secret:NAME}}`. Only a
 * program that is all of those, unchanged, runs on the answer; anything else asks again, with its
 * own audit record.
 * Every decision reads the policy in force at that moment, so an edit reaches running commands.
 * The exec gate interceptor (call-interceptors.ts) hands each EXEC_CMD its gate, in the call's context.
 */
import { SANDBOX_ENV } from '../../drivers/exec/bwrap-args.js';
import { quoteArgv } from '../../protocol/show-call.js';
import { canonicalJson } from '../../sys/canonical-json.js';
import type { ExecGate, ExecVerdict, GatedExec } from '../../sys/driver-api.js';
import { GO, type CallInterceptor } from '../loop/call-chain.js';
import type { AuditLog } from '../store/api.js';
import type { Approvals } from './approvals.js';
import { gatePrograms, gateRules, matchExec } from './exec-gate-match.js';
import type { SafetyPolicy } from './policy-rules.js';
import type { Proc } from '../proc/proc.js';

export interface ExecGateHost {
  readonly policy: SafetyPolicy;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  /** Secret values out of what is shown and stored, as `{{secret:NAME}}` (none configured: as is). */
  shown?(text: string): string;
  /** Policy edits, for running commands' gates; returns the unsubscribe. */
  onReload?(listener: (policy: SafetyPolicy) => void): () => void;
}

// Set by every shell on the way, never read as an instruction: PWD is shown only when it is not the directory.
const SHELL_NOISE = new Set(['OLDPWD', 'SHLVL', '_']);

/** The environment that changes what the program does: what differs from the sandbox's own. */
export function changedEnv(exec: GatedExec, base: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of exec.env) {
    const eq = entry.indexOf('=');
    const name = eq === -1 ? entry : entry.slice(0, eq);
    const value = eq === -1 ? '' : entry.slice(eq + 1);
    if (SHELL_NOISE.has(name) || base[name] === value || (name === 'PWD' && value === exec.cwd)) continue;
    out[name] = value;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Why a program cannot be shown to a person as it will run, or null: a part of its argv or
 * environment the gate never read (longer than 64 KiB), or a variable set twice with different
 * values (execve takes any list: git's getenv reads the first, python's os.environ the last).
 */
export function unshowable(exec: GatedExec): string | null {
  if (exec.truncated || exec.envTruncated)
    return `its ${exec.truncated ? 'argv' : 'environment'} is longer than the gate reads (64 KiB), so it cannot be shown whole for approval`;
  const seen = new Map<string, string>();
  for (const entry of exec.env) {
    const eq = entry.indexOf('=');
    if (eq === -1) continue;
    const [name, value] = [entry.slice(0, eq), entry.slice(eq + 1)];
    if (seen.has(name) && seen.get(name) !== value)
      return `its environment sets ${name} twice, to different values (which one it reads depends on the program), so it cannot be shown for approval`;
    seen.set(name, value);
  }
  return null;
}

/** What a person is asked about, and what an approval is bound to: the program as it will run. */
export interface ShownExec {
  program: string;
  how: GatedExec['how'];
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** The argv or environment was longer than the gate reads: what is shown is not all of it. */
  truncated?: true;
}

export function shownExec(
  exec: GatedExec,
  base: Readonly<Record<string, string>>,
  shown: (text: string) => string,
): ShownExec {
  const env = Object.fromEntries(Object.entries(changedEnv(exec, base)).map(([k, v]) => [k, shown(v)]));
  return {
    program: exec.path,
    how: exec.how,
    argv: exec.argv.map(shown),
    cwd: exec.cwd,
    env,
    ...(exec.truncated ? { truncated: true as const } : {}),
  };
}

/** The audit's and the inbox's one line for it: the argv quoted, where it runs, and what it was given. */
export function subjectOf(view: ShownExec, matched: string): string {
  const env = Object.entries(view.env).map(([k, v]) => `${k}=${quoteArgv([v])}`);
  const where = view.cwd && view.cwd !== '/workspace' ? ` in ${view.cwd}` : '';
  return `${env.length ? `${env.join(' ')} ` : ''}${matched}${where}`;
}

export interface GateOptions {
  /** The EXEC_CMD line (its secrets as placeholders), shown beside each program it starts. */
  cmd: string;
  /** The sandbox's own environment for this run (a secret run's HOME and secrets included). */
  baseEnv?: Readonly<Record<string, string>>;
  /** Only for a later edit: the run may go without the gate when it is not built (no rule needs it now). */
  optional?: boolean;
}

/**
 * The gate for one EXEC_CMD of `proc`, or null when no rule needs it and no edit could reach it.
 * Each decision reads the policy in force then.
 */
export function execGateFor(host: ExecGateHost, proc: Proc, options: GateOptions): ExecGate | null {
  const rules = gateRules(host.policy);
  // A policy from a file can be edited while the command runs: the gate then learns the new rules' programs.
  if (rules.length === 0 && (host.policy.file === null || !host.onReload)) return null;
  const shown = (text: string): string => (host.shown ? host.shown(text) : text);
  const base = options.baseEnv ?? SANDBOX_ENV;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    programs: gatePrograms(rules),
    ...(rules.length === 0 ? { optional: true } : {}),
    ...(host.onReload
      ? {
          watch: (listener: (programs: readonly string[]) => void) =>
            host.onReload?.((policy) => listener(gatePrograms(gateRules(policy)))) ?? (() => undefined),
        }
      : {}),
    decide(exec): ExecVerdict | Promise<ExecVerdict> {
      const match = matchExec(gateRules(host.policy), exec, host.policy.execWritten);
      if (match === null) return { allow: true };
      const { rule, note } = match;
      const view = shownExec(exec, base, shown);
      const subject = subjectOf(view, shown(match.subject));
      if (rule.verdict === 'deny') {
        host.audit.record({
          pid: proc.pid,
          call: 'EXEC_CMD',
          subject,
          decision: 'deny',
          rule: rule.text,
          decided_by: 'policy',
          reason: note ?? 'at the exec gate',
        });
        // The gate names the file it stopped (node, python3): say which program that was running.
        const what = exec.script ? ` (${shown(match.subject)})` : '';
        return { allow: false, message: `refused by the policy rule ${rule.text}${what}${note ? ` (${note})` : ''}` };
      }
      const why = unshowable(exec);
      if (why) {
        host.audit.record({
          pid: proc.pid,
          call: 'EXEC_CMD',
          subject,
          decision: 'deny',
          rule: rule.text,
          decided_by: 'policy',
          reason: why,
        });
        return { allow: false, message: `refused by the policy rule ${rule.text}: ${why}` };
      }
      const args = { cmd: options.cmd, ...view };
      // One question at a time: two programs stopped at once wait for the person in turn. The
      // request is bound to the program as shown: an approval lets through that one and no other.
      const asked = queue.then(() =>
        host.approvals
          .request(proc, { name: 'EXEC_CMD', args, rule: rule.text, subject, part: canonicalJson(view), during: 'run' })
          .then((answer) =>
            answer.approved
              ? ({ allow: true } as const)
              : { allow: false as const, message: `was not approved: ${answer.reason}` },
          ),
      );
      queue = asked.catch(() => undefined);
      return asked;
    },
  };
}

/**
 * The exec gate interceptor, installed while exec rules can stop a program: the policy has some, or
 * came from a file an edit may add some to while a command runs. Inside the secrets interceptor,
 * whose secret run it sees.
 */
export function execGateInterceptor(host: ExecGateHost): CallInterceptor {
  return {
    name: 'exec-gate',
    enter(call) {
      if (call.def.name !== 'EXEC_CMD') return GO;
      // A secret run starts its program with HOME in its private /tmp (drivers/exec/run-sandboxed.ts).
      const secretRun = call.context.secretRun !== undefined;
      const gate = execGateFor(host, call.proc, {
        cmd: String(call.args.cmd),
        ...(secretRun ? { baseEnv: { ...SANDBOX_ENV, HOME: '/tmp' } } : {}),
      });
      return gate ? { context: { execGate: gate } } : GO;
    },
  };
}
