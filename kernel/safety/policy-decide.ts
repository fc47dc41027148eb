/**
 * Which rule a call meets: the strictest of every rule that matches any of its subjects. An exec
 * line's subjects are the commands it runs (exec-commands.ts), each read as its program reads its
 * own words (exec-pattern.ts, exec-grammar.ts). For an exec line this is the first check, an early
 * refusal before anything runs; the exec gate (exec-gate-policy.ts) holds every deny and ask rule
 * at each program the command starts, and it alone asks a person — about exactly the program,
 * argv, directory and environment that will run, never about a line that may run other things.
 * So a line this check cannot follow is not decided here: it runs under the gate.
 */
import { param } from '../../sys/param.js';
import { execCommands, type ExecCommand } from './exec-commands.js';
import { matchArgv } from './exec-pattern.js';
import { namesProgram } from './exec-programs.js';
import { type PolicyRule, RANK, type Verdict } from './policy-rules.js';

export interface Decision {
  verdict: Verdict;
  /** The rule as written, or null when none matched (the capability alone decided). */
  rule: string | null;
  /** What the rule was matched against: a command, a path, a host. */
  subject: string;
  /** Why an exec line got its strictest rule. */
  note?: string;
  /** A `propose` decision's undo window in seconds (its rule's). */
  windowS?: number;
}

/** Split `fs.write:/a/b` into kind and subject; `mcp:srv/tool` too. */
function splitCapability(capability: string): { kind: string; subject: string } {
  const colon = capability.indexOf(':');
  return colon === -1
    ? { kind: capability, subject: '' }
    : { kind: capability.slice(0, colon), subject: capability.slice(colon + 1) };
}

function stricter(a: Decision | null, b: Decision): Decision | null {
  return a === null || RANK[b.verdict] > RANK[a.verdict] ? b : a;
}

/**
 * Whether a command of the line meets an exec rule. A command whose arguments are only known at run
 * time (`$x`, an alias's) meets every rule on its program.
 */
export function commandMeets(rule: PolicyRule, command: ExecCommand): { matched: boolean; note?: string } {
  const pattern = rule.exec;
  if (pattern === undefined) return { matched: true };
  if (!namesProgram(pattern.program, command.name)) return { matched: false };
  if (command.uncertain)
    return { matched: true, note: `${command.name}'s arguments are only known when it runs: every rule on it applies` };
  const name = pattern.program === null ? command.name : command.name.slice(command.name.lastIndexOf('/') + 1);
  const match = matchArgv(pattern, name, [command.name, ...command.args], param.execRuleReadings);
  return match.uncertain ? { matched: match.matched, note: match.uncertain } : { matched: match.matched };
}

/**
 * The strictest rule any command of the line meets, asks included (null: none; undefined: the line
 * cannot be followed, so only the gate decides, per program as it runs). `aos policy check --against`
 * reads it as what the line would meet (policy-try.ts); the first check below, as its early answer.
 */
export function strictestOnLine(rules: readonly PolicyRule[], cmd: string): Decision | null | undefined {
  const parsed = execCommands(cmd);
  if (!parsed.ok) return undefined;
  let best: Decision | null = null;
  for (const command of parsed.commands) {
    for (const rule of rules) {
      const meets = commandMeets(rule, command);
      if (!meets.matched) continue;
      best = stricter(best, {
        verdict: rule.verdict,
        rule: rule.text,
        subject: command.text,
        ...(meets.note ? { note: meets.note } : {}),
      });
    }
  }
  return best;
}

/** The line's early answer: a deny refuses it before anything runs; an ask is left to the gate, which asks per program. */
function decideExec(rules: readonly PolicyRule[], cmd: string): Decision | null {
  const best = strictestOnLine(rules, cmd);
  // What the first check cannot follow runs under the exec gate, which holds every deny and ask rule.
  if (best === undefined) return null;
  // The gate asks about each program as it will run: the person sees what runs, and approves only that.
  if (best?.verdict === 'ask') return null;
  return best ?? { verdict: 'allow', rule: null, subject: cmd };
}

/**
 * The decision for a call needing `capability` (already granted), or null when no rule names its
 * kind (nothing to decide, nothing to record).
 */
export function decideCall(
  rules: readonly PolicyRule[],
  capability: string | null,
  args: Record<string, unknown>,
): Decision | null {
  if (capability === null || rules.length === 0) return null;
  const { kind, subject } = splitCapability(capability);
  const relevant = rules.filter((r) => r.kind === kind);
  if (relevant.length === 0) return null;
  if (kind === 'exec') return decideExec(relevant, typeof args.cmd === 'string' ? args.cmd : '');
  let best: Decision | null = null;
  for (const rule of relevant) {
    if (rule.regex === null || rule.regex.test(subject))
      best = stricter(best, {
        verdict: rule.verdict,
        rule: rule.text,
        subject,
        ...(rule.windowS === undefined ? {} : { windowS: rule.windowS }),
      });
  }
  return best ?? { verdict: 'allow', rule: null, subject };
}
