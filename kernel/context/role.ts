/**
 * A role is a short label in aos's own spelling ("worker") and, in the seed's dialect, the child's
 * whole prompt. A short role reads as before everywhere; a long one lends its first line as the
 * process's default name and label, and must leave most of the context budget to the work.
 */
import { AosError } from '../../sys/errno.js';
import { tokensToChars } from './context-budget.js';
import { param } from '../../sys/param.js';

/** One line of at most param.maxShortRoleChars: shown whole in names, events and the prompt's first line. */
export function isShortRole(role: string): boolean {
  return role.length <= param.maxShortRoleChars && !/[\r\n]/.test(role);
}

/** The role as a name or a label: itself when short, else its first line, cut. */
export function roleLabel(role: string): string {
  if (isShortRole(role)) return role;
  const line =
    role
      .split(/\r?\n/)
      .find((l) => l.trim() !== '')
      ?.trim() ?? 'agent';
  return line.length <= param.maxRoleLabelChars ? line : `${line.slice(0, param.maxRoleLabelChars - 1)}…`;
}

/** EINVAL unless the role fits its share of the process's context budget. */
export function checkRoleFits(role: string, contextTokens: number): void {
  const max = Math.floor(tokensToChars(contextTokens) * param.roleContextShare);
  if (role.length > max) {
    throw new AosError(
      'EINVAL',
      `role is ${role.length} characters: with a context budget of ${contextTokens} tokens a role may take ${max} ` +
        `(${param.roleContextShare * 100}% of it); shorten it, or put the detail in the task`,
    );
  }
}
