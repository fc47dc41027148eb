/**
 * The policy's `hooks:` section (issue 53): programs the operator names, run in the exec sandbox
 * before or after the syscalls they list, optionally only for calls whose arguments match a
 * pattern. A pattern means what the same pattern means in `rules:` (hook-match.ts): `path` is
 * compared as an fs rule compares it, `host` as a net.fetch rule, `cmd` as an exec rule. Checked at
 * load, so `aos policy check` and a reload refuse a missing program or a pattern that could never
 * match, naming the hook; kernel/safety/hooks.ts runs them.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { findSyscall } from '../../syscalls/table.js';
import { compileArgMatch } from './hook-match.js';
import type { ArgMatch, HookWhen, PolicyHook } from './hook-types.js';

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const calls = z.array(z.string().min(1)).min(1);

const hookEntry = z
  .strictObject({
    /** Run before these calls: it may veto one. */
    before: calls.optional(),
    /** Run after these calls: what it prints joins the result as a notice. */
    after: calls.optional(),
    /** Only calls whose named arguments match these globs (every one must). */
    match: z.record(z.string().regex(/^[a-z_]+$/, 'an argument name'), z.string().min(1)).optional(),
    /** The program (an absolute path on the host, outside any workspace) and its arguments. */
    run: z.array(z.string().min(1)).min(1),
    timeout_s: z
      .number()
      .positive()
      .max(param.hookMaxTimeoutMs / 1000)
      .optional(),
  })
  .refine((h) => (h.before === undefined) !== (h.after === undefined), 'a hook has either before: or after:');

/** Hooked into policy.ts's schema through SAFETY_SECTIONS (one line there). */
export const hooksSection = z.record(z.string(), hookEntry).optional();

/** The section compiled; every mistake of every hook refused at once, each naming its hook. */
export function parseHooks(data: z.output<typeof hooksSection>, file: string): PolicyHook[] {
  const hooks: PolicyHook[] = [];
  const refused: string[] = [];
  for (const [name, entry] of Object.entries(data ?? {})) {
    const at = `policy ${file}: hook ${name}`;
    if (!NAME.test(name)) refused.push(`${at}: a hook name is letters, digits, _ . - (at most 64, a letter first)`);
    const when: HookWhen = entry.before ? 'before' : 'after';
    const names = new Set<string>();
    for (const written of entry.before ?? entry.after ?? []) {
      const def = findSyscall(written);
      if (def) names.add(def.name);
      else refused.push(`${at}: ${when}: no syscall named ${written}`);
    }
    const problem = programProblem(entry.run[0] as string);
    if (problem) refused.push(`${at}: run: ${problem}`);
    const match: ArgMatch[] = [];
    for (const [arg, pattern] of Object.entries(entry.match ?? {})) {
      const compiled = compileArgMatch(arg, pattern);
      if (typeof compiled === 'string') refused.push(`${at}: match.${arg}: ${compiled}`);
      else match.push(compiled);
    }
    hooks.push({
      name,
      when,
      calls: names,
      match,
      argv: entry.run,
      timeoutMs: Math.round((entry.timeout_s ?? param.hookTimeoutMs / 1000) * 1000),
    });
  }
  if (refused.length === 1) throw new AosError('EINVAL', refused[0] as string);
  if (refused.length > 1)
    throw new AosError('EINVAL', `${refused.length} hook mistakes:\n${refused.map((r) => `  ${r}`).join('\n')}`);
  return hooks;
}

/** Why `program` cannot be a hook's, or null: an absolute path to an executable file. */
function programProblem(program: string): string | null {
  if (!program.startsWith('/')) return `the program must be an absolute path (got ${program})`;
  try {
    if (!statSync(program).isFile()) return `${program} is not a file`;
    accessSync(program, constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${program} does not exist` : `${program} is not executable (${code ?? 'error'})`;
  }
  return null;
}
