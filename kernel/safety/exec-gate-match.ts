/**
 * Which exec rule a program the exec gate stopped meets (exec-gate-policy.ts asks): the rules the
 * gate holds (every deny and ask on exec), the programs it must stop for, and the strictest rule
 * that matches what runs — the file itself, or the script or module an interpreter was given, its
 * words read as that program reads them (exec-pattern.ts). A program no rule can name (one written
 * in the sandbox, one the dynamic loader runs) meets the strictest exec rule there is.
 */
import path from 'node:path';
import { quoteArgv } from '../../protocol/show-call.js';
import type { GatedExec } from '../../sys/driver-api.js';
import { param } from '../../sys/param.js';
import { matchArgv, programGlob } from './exec-pattern.js';
import { RANK, type PolicyRule, type SafetyPolicy } from './policy-rules.js';

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

const HOW: Record<GatedExec['how'], string> = {
  file: '',
  copy: ', a copy of it',
  written: ', written in the sandbox',
  runner: '',
  loader: '',
};

/** The rule an exec meets, or null when none does. */
export function matchExec(rules: readonly PolicyRule[], exec: GatedExec, written: 'strictest' | 'allow'): Match | null {
  const shown = `${quoteArgv(exec.argv)} (${exec.path}${HOW[exec.how]})`;
  if (exec.how === 'loader' && exec.argv.length >= 2 && LOADER_LOOKS.has(exec.argv[1] as string)) return null;
  if (exec.programs.length === 0 && !exec.script && exec.how !== 'file') {
    if (exec.how === 'written' && written === 'allow') return null;
    const why =
      exec.how === 'loader'
        ? 'the dynamic loader runs a program the gate cannot name'
        : 'a program written in the sandbox is none a rule can name';
    let best: Match | null = null;
    for (const rule of rules)
      best = strictest(best, { rule, subject: shown, note: `${why}: the strictest exec rule applies` });
    return best;
  }
  // What runs, under each name a rule gave it: the file itself, or the script an interpreter was given.
  const candidates: Array<{
    name: string;
    argv: readonly string[];
    named: boolean;
    subject: string;
    uncertain?: string;
  }> = exec.programs.map((name) => ({ name, argv: exec.argv, named: true, subject: shown }));
  if (exec.script) {
    const via =
      exec.script.how === 'module'
        ? ` as a module of ${exec.path}`
        : ` run by ${exec.path}${exec.script.how === 'copy' ? ', a copy of it' : ''}`;
    for (const name of exec.script.programs) {
      const argv = [name, ...exec.argv.slice(exec.script.at + 1)];
      candidates.push({
        name,
        argv,
        named: true,
        subject: `${quoteArgv(argv)} (${name}${via})`,
        ...(exec.script.uncertain ? { uncertain: exec.script.uncertain } : {}),
      });
    }
  }
  if (candidates.length === 0)
    candidates.push({ name: path.basename(exec.path), argv: exec.argv, named: false, subject: shown });
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
      if (m.matched)
        best = strictest(best, { rule, subject: c.subject, ...(m.uncertain ? { note: m.uncertain } : {}) });
    }
  }
  return best;
}
