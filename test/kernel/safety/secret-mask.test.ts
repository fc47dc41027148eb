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
    ['quoted-printable', [...Buffer.from(SECRET)].map((b) => `=${b.toString(16).toUpperCase()}`).join('')],
    [
      'quoted-printable with soft line breaks',
      [...Buffer.from(SECRET)].map((b, i) => `${i % 8 === 7 ? '=\r\n' : ''}=${b.toString(16)}`).join(''),
    ],
    ['spaced', [...SECRET].join(' ')],
    ['a character a line', [...SECRET].join('\n')],
    ['a list of quoted characters', JSON.stringify([...SECRET])],
    ['octal escapes', [...Buffer.from(SECRET)].map((b) => `\\${b.toString(8)}`).join('')],
    [
      'octal escapes in a JSON string',
      JSON.stringify([...Buffer.from(SECRET)].map((b) => `\\${b.toString(8)}`).join('')),
    ],
    ['ES2015 code point escapes', [...SECRET].map((c) => `\\u{${c.charCodeAt(0).toString(16)}}`).join('')],
    ['Python \\U escapes', [...SECRET].map((c) => `\\U${c.charCodeAt(0).toString(16).padStart(8, '0')}`).join('')],
    ["a shell's backslashes", [...SECRET].map((c) => `\\${c}`).join('')],
    ['a decimal byte array', `[${[...Buffer.from(SECRET)].join(', ')}]`],
    ['a hex byte array', `{${[...Buffer.from(SECRET)].map((b) => `0x${b.toString(16)}`).join(', ')}}`],
    ['numbers one a line', [...Buffer.from(SECRET)].join('\n')],
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

  it('masks XML and HTML named entities (an XML error body quoting the value)', () => {
    const value = `Zq7x&W3v<Km9T"t2Lp>Y8sN'c4Rb`;
    const m = new SecretMask([{ name: 'PW', value }]);
    const named = (v: string): string =>
      v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    expect(m.maskText(`<Token>${named(value).replace(/'/g, '&apos;')}</Token>`)).toBe('<Token>[secret PW]</Token>');
    expect(m.maskText(`<p>${named(value).replace(/'/g, '&#39;')}</p>`)).toBe('<p>[secret PW]</p>');
    // Escaped twice (`&amp;lt;`); the quote left as it is ends the token, and `Y8sN'c4Rb` is a plain run.
    expect(m.maskText(`<p>${named(named(value))}</p>`)).toBe('<p>[secret PW][secret PW]</p>');
  });

  it('masks the bytes of a value outside ASCII, as numbers or escapes', () => {
    const value = 'pässwörd-ÜnïcødeKey';
    const m = new SecretMask([{ name: 'U', value }]);
    expect(m.maskText(`[${[...Buffer.from(value)].join(',')}]`)).toBe('[[secret U]]');
    expect(m.maskText(`[${[...Buffer.from(value)].map((b) => (b > 127 ? b - 256 : b)).join(', ')}]`)).toBe(
      '[[secret U]]',
    );
    expect(m.maskText([...value].map((c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`).join(''))).toBe(
      '[secret U]',
    );
    expect(m.maskText([...Buffer.from(value)].map((b) => `=${b.toString(16).toUpperCase()}`).join(''))).toBe(
      '[secret U]',
    );
  });

  it('masks a spelled-out run from its first element of the secret to its last, and no more', () => {
    const list = [...Buffer.from(SECRET)].join(', ');
    expect(mask.maskText(`{"n": [1, 2, ${list}, 3]}`)).toBe('{"n": [1, 2, [secret GH], 3]}');
    expect(mask.maskText(`token: ${[...SECRET].join(' ')} (spaced)`)).toBe('token: [secret GH] (spaced)');
    expect(mask.maskText(`key: ${[...SECRET].join(' - ')}.`)).toBe('key: [secret GH].');
  });

  it('leaves prose, lists and near misses of a spelled-out value alone', () => {
    const texts = [
      'a b c d e f g h i j k, and I went to the U.S.A. on 1 2 3 4 5 6 7 8 9 10',
      'scores: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10; ids [103, 104, 112, 95]; - - - - - - - - - -',
      // Seven characters of the secret spaced, and eight with a separator that changes.
      'g h p _ 9 f K then g h p _ 9-f K 2 and g,h,p,_ 9 f K 2',
      // Eight of its bytes with a separator that changes, or as a float list.
      '103, 104, 112, 95 57, 102, 75, 50 and 103.0, 104.0, 112.0, 95.0, 57.0, 102.0, 75.0, 50.0',
      '-rw-r--r--  1 user staff  1043 Jan  3 12:10 file.txt; C:\\Users\\x; a=1f&b=%20; Tom &amp; Jerry',
    ];
    for (const text of texts) expect(mask.maskText(text)).toBe(text);
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
