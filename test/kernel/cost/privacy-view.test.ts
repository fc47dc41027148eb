/** The normalised view and its index map: every range of a rewritten copy names the original's range it came from. */
import { describe, expect, it } from 'vitest';
import { identity, normalised, rewrite, slice, type View } from '../../../kernel/cost/privacy-view.js';

const back = (view: View, original: string, needle: string): string => {
  const at = view.text.indexOf(needle);
  const [a, b] = view.origin(at, at + needle.length);
  return original.slice(a, b);
};

describe('the privacy view', () => {
  it('leaves plain ASCII as it is, at no cost', () => {
    const view = normalised('pay DE89 3704 0044 0532 0130 00');
    expect(view.text).toBe('pay DE89 3704 0044 0532 0130 00');
    expect(view.origin(4, 8)).toEqual([4, 8]);
  });

  it('reads spaces, dashes, other scripts’ digits and fullwidth forms as ASCII, drops invisible characters, and maps every range back', () => {
    const original = 'card 4\u200b111\u00a01111\u20131111\u2212١١١١ ＋４９ \ud835\udfd2x \u00ad';
    const view = normalised(original);
    expect(view.text).toBe('card 4111 1111-1111-1111 +49 4x ');
    expect(back(view, original, '4111 1111-1111-1111')).toBe('4\u200b111\u00a01111\u20131111\u2212١١١١');
    expect(back(view, original, '+49')).toBe('＋４９');
    expect(back(view, original, '4x')).toBe('\ud835\udfd2x');
    expect(back(view, original, 'card')).toBe('card');
  });

  it('drops combining marks after a digit', () => {
    expect(normalised('4\u03321\u0332').text).toBe('41');
  });

  it('stacks: a rewrite of a rewrite, and a slice of it, still name the original', () => {
    const original = 'call\u00a00049\u00a030 901820 now';
    const base = normalised(original);
    const part = slice(base, 5, 19);
    const plus = rewrite(part, /00(?=49)/g, () => '+');
    expect(plus.text).toBe('+49 30 901820');
    expect(back(plus, original, '+49 30 901820')).toBe('0049\u00a030 901820');
    expect(back(plus, original, '+')).toBe('00');
    // A rewrite with nothing to change is the view itself.
    expect(rewrite(identity('abc'), /x/g, () => 'y').text).toBe('abc');
  });
});
