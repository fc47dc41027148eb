/**
 * A hook's `match:` (hooks-policy.ts): globs on a call's named arguments, each meaning what the
 * same pattern means in the policy's `rules:` — read by the rules' own checks (rule-check.ts) and
 * compared with the same subject a rule is: `path` with the workspace path the call's capability
 * names (no `..`, no `./`, no case or encoding trick: the fs driver's own spelling), `host` with a
 * net.fetch call's host as a rule sees it, `cmd` with each command the line runs as an exec rule
 * reads it (exec-commands.ts; a line that cannot be followed matches, so a hook is never skipped by
 * hiding a command). Any other argument is a glob (`*` stops at `/`, `**` does not) on its text.
 */
import path from 'node:path';
import { compileGlob, compilePathRule } from '../../sys/capabilities.js';
import { execCommands } from './exec-commands.js';
import type { ExecPattern } from './exec-pattern.js';
import { commandMeets } from './policy-decide.js';
import type { PolicyRule } from './policy-rules.js';
import { checkRule } from './rule-check.js';
import type { ArgMatch } from './hook-types.js';

/** What a capability names after its kind: `fs.write:/a/b` → `/a/b`, when its kind is one of `kinds`. */
function subjectOf(capability: string | null, kinds: readonly string[]): string | null {
  if (capability === null) return null;
  const colon = capability.indexOf(':');
  if (colon === -1 || !kinds.includes(capability.slice(0, colon))) return null;
  return capability.slice(colon + 1);
}

/** The compiled match, or why the pattern could never match. */
export function compileArgMatch(arg: string, pattern: string): ArgMatch | string {
  if (arg === 'path') {
    if (!pattern.startsWith('/') && !pattern.startsWith('**'))
      return 'a path pattern starts with / (the workspace root)';
    if (pattern.includes('..')) return 'a path pattern may not hold ..';
    const read = checkRule('fs.write', pattern, { mcpServers: [] });
    if (read.refuse.length) return read.refuse.join('; ');
    const regex = compilePathRule(read.pattern);
    return {
      arg,
      pattern,
      subjectRegex: regex,
      test(capability, args) {
        const subject =
          subjectOf(capability, ['fs.read', 'fs.write']) ??
          (typeof args.path === 'string' ? path.posix.normalize(`/${args.path}`) : null);
        return subject !== null && regex.test(subject);
      },
    };
  }
  if (arg === 'host') {
    const read = checkRule('net.fetch', pattern, { mcpServers: [] });
    if (read.refuse.length) return read.refuse.join('; ');
    const regex = compileGlob(read.pattern, '/');
    return {
      arg,
      pattern,
      subjectRegex: regex,
      test: (capability) => {
        const host = subjectOf(capability, ['net.fetch']);
        return host !== null && regex.test(host);
      },
    };
  }
  if (arg === 'cmd') {
    const read = checkRule('exec', pattern, { mcpServers: [] });
    if (read.refuse.length) return read.refuse.join('; ');
    return { arg, pattern, test: (_capability, args) => lineMeets(read.exec, pattern, args.cmd) };
  }
  if (/[{}[\]]/.test(pattern)) return `"${pattern}" holds { } or [ ], which are not wildcards here (only * and **)`;
  const regex = compileGlob(pattern);
  return { arg, pattern, test: (_capability, args) => typeof args[arg] === 'string' && regex.test(args[arg]) };
}

/** Whether a command of the line meets the exec pattern, as an exec rule would (an unreadable line does). */
function lineMeets(exec: ExecPattern | undefined, pattern: string, cmd: unknown): boolean {
  if (typeof cmd !== 'string') return false;
  const parsed = execCommands(cmd);
  if (!parsed.ok) return true;
  const rule: PolicyRule = {
    verdict: 'deny',
    kind: 'exec',
    pattern,
    text: `hook match cmd: "${pattern}"`,
    line: null,
    regex: null,
    ...(exec ? { exec } : {}),
  };
  return parsed.commands.some((command) => commandMeets(rule, command).matched);
}
