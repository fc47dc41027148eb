/**
 * Which rule a call meets: the strictest of every rule that matches any of its subjects. An exec
 * line's subjects are the commands it runs (exec-commands.ts), read with their global options
 * dropped (exec-argv.ts). This is the first check, an early answer before anything runs; the
 * guarantee is the exec gate (exec-gate-policy.ts), which holds every deny and ask rule at each
 * program the command starts. So a line this check cannot follow is not decided here: it runs
 * under the gate.
 */
import { execCommands, type ExecCommand } from './exec-commands.js';
import { ruleArgs } from './exec-argv.js';
import { compileExecGlob, type PolicyRule, RANK, type Verdict } from './policy-rules.js';

export interface Decision {
  verdict: Verdict;
  /** The rule as written, or null when none matched (the capability alone decided). */
  rule: string | null;
  /** What the rule was matched against: a command, a path, a host. */
  subject: string;
  /** Why an exec line got its strictest rule. */
  note?: string;
  /** An exec line's commands an `ask` was for (as rules read them): approved, the exec gate does not ask for them again. */
  covers?: string[];
}

/** Split `fs.write:/a/b` into kind and subject; `mcp:srv/tool` too. */
function splitCapability(capability: string): { kind: string; subject: string } {
  const colon = capability.indexOf(':');
  return colon === -1 ? { kind: capability, subject: '' } : { kind: capability.slice(0, colon), subject: capability.slice(colon + 1) };
}

function stricter(a: Decision | null, b: Decision): Decision {
  return a === null || RANK[b.verdict] > RANK[a.verdict] ? b : a;
}

/** A command as rules read it: its name and the arguments after its global options. */
export function ruleText(command: ExecCommand): { text: string; uncertain: boolean } {
  const { args, uncertain } = ruleArgs(command.name, [command.name, ...command.args]);
  return { text: [command.name, ...args].join(' '), uncertain: uncertain || command.uncertain };
}

/** A command whose arguments are only known at run time (or an alias's) meets every rule on its name. */
function matchesCommand(rule: PolicyRule, command: ExecCommand): boolean {
  if (rule.regex === null) return true;
  const { args, uncertain } = ruleArgs(command.name, [command.name, ...command.args]);
  const text = [command.name, ...args].join(' ');
  if (!command.uncertain && !uncertain) return rule.regex.test(text);
  const head = (rule.pattern ?? '').split(' ')[0] ?? '';
  return compileExecGlob(head).test(command.name) || rule.regex.test(text);
}

function decideExec(rules: readonly PolicyRule[], cmd: string): Decision | null {
  const parsed = execCommands(cmd);
  // What the first check cannot follow runs under the exec gate, which holds every deny and ask rule.
  if (!parsed.ok) return null;
  let best: Decision | null = null;
  const asked: string[] = [];
  for (const command of parsed.commands) {
    for (const rule of rules) {
      if (!matchesCommand(rule, command)) continue;
      best = stricter(best, { verdict: rule.verdict, rule: rule.text, subject: command.text });
      const read = ruleText(command);
      if (rule.verdict === 'ask' && !read.uncertain) asked.push(read.text);
    }
  }
  if (best?.verdict === 'ask') return { ...best, covers: asked };
  return best ?? { verdict: 'allow', rule: null, subject: cmd };
}

/**
 * The decision for a call needing `capability` (already granted), or null when no rule names its
 * kind (nothing to decide, nothing to record).
 */
export function decideCall(rules: readonly PolicyRule[], capability: string | null, args: Record<string, unknown>): Decision | null {
  if (capability === null || rules.length === 0) return null;
  const { kind, subject } = splitCapability(capability);
  const relevant = rules.filter((r) => r.kind === kind);
  if (relevant.length === 0) return null;
  if (kind === 'exec') return decideExec(relevant, typeof args.cmd === 'string' ? args.cmd : '');
  let best: Decision | null = null;
  for (const rule of relevant) {
    if (rule.regex === null || rule.regex.test(subject)) best = stricter(best, { verdict: rule.verdict, rule: rule.text, subject });
  }
  return best ?? { verdict: 'allow', rule: null, subject };
}
