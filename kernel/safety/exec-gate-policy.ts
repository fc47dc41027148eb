/**
 * The policy at the exec boundary (issues 27, 46): the kernel's answer when the exec gate stops a
 * program that a deny or ask rule names, or that nothing can name. The program is the file the
 * kernel executed (drivers/exec/gate/) — or, for an interpreter, the ruled script or module it
 * was given — and its words are read as that program reads them (exec-pattern.ts). The strictest
 * matching rule wins; a deny is audited and refused; an ask parks the process on an approval of
 * exactly what will run: the program's file, its argv, its working directory and the environment
 * that differs from the sandbox's own, secrets shown as `{{secret:NAME}}`. Only a program that is
 * all of those, unchanged, runs on the answer; anything else asks again, with its own audit record.
 * Every decision reads the policy in force at that moment, so an edit reaches running commands.
 * The exec gate interceptor (call-interceptors.ts) hands each EXEC_CMD its gate, in the call's context.
 */
import path from 'node:path';
import { SANDBOX_ENV } from '../../drivers/exec/bwrap-args.js';
import { quoteArgv } from '../../protocol/show-call.js';
import { canonicalJson } from '../../sys/canonical-json.js';
import type { ExecGate, ExecVerdict, GatedExec } from '../../sys/driver-api.js';
import { param } from '../../sys/param.js';
import { GO, type CallInterceptor } from '../loop/call-chain.js';
import type { AuditLog } from '../store/api.js';
import type { Approvals } from './approvals.js';
import { matchArgv, programGlob } from './exec-pattern.js';
import { RANK, type PolicyRule, type SafetyPolicy } from './policy-rules.js';
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

/** The program a rule names (`rm` of `exec:rm *`), or null when its pattern names any program. */
export function ruleProgram(rule: PolicyRule): string | null {
  return rule.exec?.program ?? null;
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
  subject: string;
  note?: string;
}

function strictest(a: Match | null, b: Match): Match {
  return a === null || RANK[b.rule.verdict] > RANK[a.rule.verdict] ? b : a;
}

// The loader run as a program only looks when given one of these (ldd's --verify, --list): nothing runs.
const LOADER_LOOKS = new Set(['--verify', '--list', '--help', '--version', '--list-tunables', '--list-diagnostics']);

const HOW: Record<GatedExec['how'], string> = { file: '', copy: ', a copy of it', written: ', written in the sandbox', runner: '', loader: '' };

/** The rule an exec meets, or null when none does. */
export function matchExec(rules: readonly PolicyRule[], exec: GatedExec, written: 'strictest' | 'allow'): Match | null {
  const shown = `${quoteArgv(exec.argv)} (${exec.path}${HOW[exec.how]})`;
  if (exec.how === 'loader' && exec.argv.length >= 2 && LOADER_LOOKS.has(exec.argv[1] as string)) return null;
  if (exec.programs.length === 0 && !exec.script && exec.how !== 'file') {
    if (exec.how === 'written' && written === 'allow') return null;
    const why = exec.how === 'loader' ? 'the dynamic loader runs a program the gate cannot name' : 'a program written in the sandbox is none a rule can name';
    let best: Match | null = null;
    for (const rule of rules) best = strictest(best, { rule, subject: shown, note: `${why}: the strictest exec rule applies` });
    return best;
  }
  // What runs, under each name a rule gave it: the file itself, or the script an interpreter was given.
  const candidates: Array<{ name: string; argv: readonly string[]; named: boolean; subject: string; uncertain?: string }> = exec.programs.map((name) => ({ name, argv: exec.argv, named: true, subject: shown }));
  if (exec.script) {
    const via = exec.script.how === 'module' ? ` as a module of ${exec.path}` : ` run by ${exec.path}${exec.script.how === 'copy' ? ', a copy of it' : ''}`;
    for (const name of exec.script.programs) {
      const argv = [name, ...exec.argv.slice(exec.script.at + 1)];
      candidates.push({ name, argv, named: true, subject: `${quoteArgv(argv)} (${name}${via})`, ...(exec.script.uncertain ? { uncertain: exec.script.uncertain } : {}) });
    }
  }
  if (candidates.length === 0) candidates.push({ name: path.basename(exec.path), argv: exec.argv, named: false, subject: shown });
  let best: Match | null = null;
  for (const c of candidates) {
    for (const rule of rules) {
      const pattern = rule.exec;
      const program = pattern?.program ?? null;
      // A rule on a program meets only the files that are it; a rule that names none (`exec:* --force`) meets every program.
      if (program !== null && (!c.named || !programGlob(program).test(c.name))) continue;
      if (pattern === undefined || exec.truncated || c.uncertain) {
        const note = exec.truncated ? 'its argv was longer than the gate reads: every rule on it applies' : c.uncertain;
        best = strictest(best, { rule, subject: c.subject, ...(note ? { note } : {}) });
        continue;
      }
      const m = matchArgv(pattern, path.basename(c.name), c.argv, param.execRuleReadings);
      if (m.matched) best = strictest(best, { rule, subject: c.subject, ...(m.uncertain ? { note: m.uncertain } : {}) });
    }
  }
  return best;
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
  if (exec.truncated || exec.envTruncated) return `its ${exec.truncated ? 'argv' : 'environment'} is longer than the gate reads (64 KiB), so it cannot be shown whole for approval`;
  const seen = new Map<string, string>();
  for (const entry of exec.env) {
    const eq = entry.indexOf('=');
    if (eq === -1) continue;
    const [name, value] = [entry.slice(0, eq), entry.slice(eq + 1)];
    if (seen.has(name) && seen.get(name) !== value) return `its environment sets ${name} twice, to different values (which one it reads depends on the program), so it cannot be shown for approval`;
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

export function shownExec(exec: GatedExec, base: Readonly<Record<string, string>>, shown: (text: string) => string): ShownExec {
  const env = Object.fromEntries(Object.entries(changedEnv(exec, base)).map(([k, v]) => [k, shown(v)]));
  return { program: exec.path, how: exec.how, argv: exec.argv.map(shown), cwd: exec.cwd, env, ...(exec.truncated ? { truncated: true as const } : {}) };
}

/** The audit's and the inbox's one line for it: the argv quoted, where it runs, and what it was given. */
function subjectOf(view: ShownExec, matched: string): string {
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
    ...(host.onReload ? { watch: (listener: (programs: readonly string[]) => void) => host.onReload?.((policy) => listener(gatePrograms(gateRules(policy)))) ?? (() => undefined) } : {}),
    decide(exec): ExecVerdict | Promise<ExecVerdict> {
      const match = matchExec(gateRules(host.policy), exec, host.policy.execWritten);
      if (match === null) return { allow: true };
      const { rule, note } = match;
      const view = shownExec(exec, base, shown);
      const subject = subjectOf(view, shown(match.subject));
      if (rule.verdict === 'deny') {
        host.audit.record({ pid: proc.pid, call: 'EXEC_CMD', subject, decision: 'deny', rule: rule.text, decided_by: 'policy', reason: note ?? 'at the exec gate' });
        // The gate names the file it stopped (node, python3): say which program that was running.
        const what = exec.script ? ` (${shown(match.subject)})` : '';
        return { allow: false, message: `refused by the policy rule ${rule.text}${what}${note ? ` (${note})` : ''}` };
      }
      const why = unshowable(exec);
      if (why) {
        host.audit.record({ pid: proc.pid, call: 'EXEC_CMD', subject, decision: 'deny', rule: rule.text, decided_by: 'policy', reason: why });
        return { allow: false, message: `refused by the policy rule ${rule.text}: ${why}` };
      }
      const args = { cmd: options.cmd, ...view };
      // One question at a time: two programs stopped at once wait for the person in turn. The
      // request is bound to the program as shown: an approval lets through that one and no other.
      const asked = queue.then(() =>
        host.approvals.request(proc, { name: 'EXEC_CMD', args, rule: rule.text, subject, part: canonicalJson(view), during: 'run' }).then((answer) =>
          answer.approved ? ({ allow: true } as const) : { allow: false as const, message: `was not approved: ${answer.reason}` },
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
      const gate = execGateFor(host, call.proc, { cmd: String(call.args.cmd), ...(secretRun ? { baseEnv: { ...SANDBOX_ENV, HOME: '/tmp' } } : {}) });
      return gate ? { context: { execGate: gate } } : GO;
    },
  };
}
