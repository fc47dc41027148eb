import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK_WINDOW, SecretMask } from '../../../kernel/safety/secret-mask.js';
import { leakForms } from '../../security/leak-forms.js';

const SECRET = 'ghp_9fK2xQ7wZp41LmN8vR2';
const mask = new SecretMask([{ name: 'GH', value: SECRET }]);

function holdsAny(text: string, value: string): string | undefined {
  return leakForms(value).find((form) => text.includes(form));
}

describe('SecretMask', () => {
  it.each([
    ['the value', SECRET],
    ['minus one character', SECRET.slice(1)],
    ['a slice of the window', SECRET.slice(5, 5 + MASK_WINDOW)],
    ['upper case', SECRET.toUpperCase()],
    ['reversed', [...SECRET].reverse().join('')],
    ['base64', Buffer.from(SECRET).toString('base64')],
    ['base64 inside a longer blob', Buffer.from(`Authorization: Basic user:${SECRET}!`).toString('base64')],
    ['base64url', Buffer.from(SECRET).toString('base64url')],
    ['hex', Buffer.from(SECRET).toString('hex')],
    ['hex with colons', [...Buffer.from(SECRET)].map((b) => b.toString(16).padStart(2, '0')).join(':')],
    ['%-encoded', [...Buffer.from(SECRET)].map((b) => `%${b.toString(16)}`).join('')],
    ['\\u-escaped', [...SECRET].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
    ['HTML entities', [...SECRET].map((c) => `&#${c.charCodeAt(0)};`).join('')],
  ])('masks %s', (_what, form) => {
    const out = mask.maskText(`before ${form} after`);
    expect(out).toContain('[secret GH]');
    expect(holdsAny(out, SECRET)).toBeUndefined();
    expect(out.startsWith('before ')).toBe(true);
  });

  it('masks JSON-escaped values whose escapes differ from the value', () => {
    const value = 'a"b\\c/d"e\\f/g"h';
    const m = new SecretMask([{ name: 'Q', value }]);
    const out = m.maskText(JSON.stringify({ env: { TOKEN: value } }));
    expect(out).toContain('[secret Q]');
    expect(out).not.toContain(JSON.stringify(value).slice(1, -1));
  });

  it('leaves text without the secret alone, and masks keys of objects too', () => {
    expect(mask.maskText('nothing to see: ghp_ 9fK2 here')).toBe('nothing to see: ghp_ 9fK2 here');
    expect(mask.mask({ [SECRET]: [SECRET, 3] })).toEqual({ '[secret GH]': ['[secret GH]', 3] });
  });

  it('masks a value wherever random text puts it, in any of its forms', () => {
    const arbitraryForm = fc.constantFrom(...leakForms(SECRET));
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), arbitraryForm, fc.string({ maxLength: 40 }), (before, form, after) => {
        expect(holdsAny(mask.maskText(`${before}${form}${after}`), SECRET)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
