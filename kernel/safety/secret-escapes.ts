/**
 * Escape-sequence spellings of a secret, for the mask (secret-mask.ts): backslash escapes (JSON,
 * JS `\u` and ES2015 `\u{…}`, Python `\U`, `\x`, C octal, a shell's `\&`), HTML/XML character
 * references (`&#…;`, `&#x…;` and the named ones a server writes in an error page or an XML error
 * body: `&amp;`, `&lt;`, `&quot;`, …), %-escapes and quoted-printable (`=5A`, `=` line breaks).
 * A reflecting host picks the spelling, so each one the mask cannot read is a way out.
 */

/** A token of text that may hold an escaped value: quotes, brackets and spaces end it. */
export const TOKEN_RUN = /(?:\\.|=\r?\n|[^\s"'<>\\])+/g;

/**
 * Text with some escape in it. It is tested on the whole text first, so a result with none pays
 * for one scan, and then on each token, so only tokens with an escape are decoded.
 */
export const HAS_ESCAPE = /%[0-9A-Fa-f]{2}|\\.|&#?[0-9A-Za-z]{1,8};|=(?:[0-9A-Fa-f]{2}|\r?\n)/;

/**
 * One escape, read left to right so that an escaped backslash is never read as the start of the
 * next escape. The groups: `\u{…}`, `\u`, `\U`, `\x`, octal, every other escaped character, and the
 * hex, decimal and named character references.
 */
const ESCAPE =
  /\\(?:u\{([0-9A-Fa-f]{1,6})\}|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2})|([0-7]{1,3})|(.))|&(?:#[xX]([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|([A-Za-z]{2,8}));/g;

/** What a backslash before a letter means, where it is not the letter itself. */
const CONTROL: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' };

/** HTML's names for the ASCII punctuation (the five XML ones among them) and the no-break space. */
const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  excl: '!',
  num: '#',
  dollar: '$',
  percnt: '%',
  lpar: '(',
  rpar: ')',
  ast: '*',
  plus: '+',
  comma: ',',
  period: '.',
  sol: '/',
  colon: ':',
  semi: ';',
  equals: '=',
  quest: '?',
  commat: '@',
  lsqb: '[',
  bsol: '\\',
  rsqb: ']',
  hat: '^',
  lowbar: '_',
  grave: '`',
  lcub: '{',
  verbar: '|',
  rcub: '}',
};

function codePoint(digits: string, radix: number): string {
  return String.fromCodePoint(Math.min(parseInt(digits, radix), 0x10ffff));
}

function unescapeOnce(text: string): string {
  // One parameter per group, not a rest array: this runs once per escape of every token decoded.
  const each = (
    whole: string,
    brace?: string,
    u4?: string,
    u8?: string,
    x2?: string,
    octal?: string,
    other?: string,
    refHex?: string,
    refDec?: string,
    name?: string,
  ): string => {
    const hex = brace ?? u4 ?? u8 ?? x2 ?? refHex;
    if (hex !== undefined) return codePoint(hex, 16);
    if (octal !== undefined) return codePoint(octal, 8);
    if (refDec !== undefined) return codePoint(refDec, 10);
    // An unknown escape stands for the character itself, as in JS and a shell (`\&`, `\<`).
    if (other !== undefined) return CONTROL[other] ?? other;
    // HTML5 also knows `&AMP;`, `&LT;`, `&GT;`, `&QUOT;`: names are looked up in either case.
    return (name !== undefined && NAMED[name.toLowerCase()]) || whole;
  };
  return text.replace(ESCAPE, each);
}

function bytesOf(text: string, escape: RegExp): string {
  return text.replace(escape, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * The readings of one token: unescaped once, twice and three times (a JSON string of a C string,
 * `&amp;lt;`: every layer is kept, since the value may itself hold a backslash or an `&`), and each
 * with its %-escapes or quoted-printable escapes read as bytes. The caller also reads every reading
 * as UTF-8, for values with characters outside ASCII.
 */
export function decodeEscapes(run: string): string[] {
  const layers = [run];
  for (let round = 0; round < 3; round++) {
    const last = layers[layers.length - 1] as string;
    if (!HAS_ESCAPE.test(last)) break;
    const next = unescapeOnce(last);
    if (next === last) break;
    layers.push(next);
  }
  const out = layers.slice(1);
  for (const layer of layers) {
    const bytes = [
      layer.includes('%') ? bytesOf(layer, /%([0-9A-Fa-f]{2})/g) : layer,
      layer.includes('=') ? bytesOf(layer.replace(/=\r?\n/g, ''), /=([0-9A-Fa-f]{2})/g) : layer,
    ];
    // A reading that changed nothing is the layer itself, already read.
    for (const b of bytes) if (b !== layer) out.push(b);
  }
  return out;
}
