/** Roles: short labels read as before; a long role (the seed's whole prompt) lends its first line and fits its budget. */
import { describe, expect, it } from 'vitest';
import { param } from '../../../sys/param.js';
import { checkRoleFits, isShortRole, roleLabel } from '../../../kernel/context/role.js';

describe('roles', () => {
  it('a one-line role of up to maxShortRoleChars is its own label', () => {
    expect(roleLabel('worker')).toBe('worker');
    const long = 'r'.repeat(param.maxShortRoleChars);
    expect(isShortRole(long)).toBe(true);
    expect(roleLabel(long)).toBe(long);
  });

  it('a longer or multi-line role is labelled by its first line, cut', () => {
    expect(roleLabel('\n  You are a word counter.  \nCount the words you are given.')).toBe('You are a word counter.');
    const line = `${'w'.repeat(300)}`;
    const label = roleLabel(line);
    expect(label).toHaveLength(param.maxRoleLabelChars);
    expect(label.endsWith('…')).toBe(true);
  });

  it('a role may take roleContextShare of the context budget, and is refused past it with the figures', () => {
    const budget = 4_000;
    const max = budget * param.contextCharsPerToken * param.roleContextShare;
    expect(() => checkRoleFits('x'.repeat(max), budget)).not.toThrow();
    expect(() => checkRoleFits('x'.repeat(max + 1), budget)).toThrow(
      expect.objectContaining({
        code: 'EINVAL',
        message: expect.stringContaining(
          `role is ${max + 1} characters: with a context budget of 4000 tokens a role may take ${max}`,
        ),
      }),
    );
  });
});
