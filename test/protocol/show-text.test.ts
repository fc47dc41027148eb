/**
 * The quoting and escaping every surface shows a call with (protocol/show-text.ts, issue 46.6):
 * an argv quoted so that a shell gives back exactly that argv — checked against bash itself and
 * against a small parser of the notation, over generated arguments — free text with every hidden
 * character escaped, and cuts that always say what they cut.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut, escapeControl, jsonVisible, quoteArg, quoteArgv, shownText } from '../../protocol/show-text.js';

/** What must never reach a person's screen raw (a subset of the hidden set, named independently). */
const RAW =
  /[\u0000-\u001f\u007f-\u009f\u00a0\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]|[\u{e0000}-\u{e0fff}]/u;

const ISSUE_ARGV = ['git', 'push', '-o', 'ci.skip --dry-run', 'origin', 'HEAD:refs/heads/main'];

/**
 * The notation read back by hand: words of bare characters, '…' and $'…' (its escapes), separated
 * by single spaces. An independent reading of what quoteArgv writes — not a shell, but what bash
 * agrees with below.
 */
function parseWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  let word: string | null = null;
  const hexAt = (n: number): number => {
    const digits = line.slice(i, i + n);
    if (!new RegExp(`^[0-9A-F]{${n}}$`).test(digits)) throw new Error(`bad escape at ${i} in ${line}`);
    i += n;
    return parseInt(digits, 16);
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ') {
      if (word === null) throw new Error(`two spaces at ${i}`);
      words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unclosed quote');
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '\\') {
      // Only `'\''` puts a bare backslash between quotes.
      if (line[i + 1] !== "'") throw new Error(`bare backslash at ${i}`);
      word = `${word ?? ''}'`;
      i += 2;
    } else if (c === '$' && line[i + 1] === "'") {
      i += 2;
      let body = '';
      for (;;) {
        const d = line[i];
        if (d === undefined) throw new Error('unclosed $quote');
        if (d === "'") break;
        if (d !== '\\') {
          body += d;
          i++;
          continue;
        }
        const e = line[i + 1];
        i += 2;
        if (e === 'n') body += '\n';
        else if (e === 't') body += '\t';
        else if (e === 'r') body += '\r';
        else if (e === 'e') body += '\u001b';
        else if (e === '\\' || e === "'") body += e;
        else if (e === 'x') body += String.fromCharCode(hexAt(2));
        else if (e === 'u') body += String.fromCharCode(hexAt(4));
        else if (e === 'U') body += String.fromCodePoint(hexAt(8));
        else throw new Error(`unknown escape \\${e}`);
      }
      word = (word ?? '') + body;
      i++;
    } else {
      if (!/[A-Za-z0-9_@%+=:,./-]/.test(c))
        throw new Error(`unsafe bare character ${JSON.stringify(c)} at ${i} in ${line}`);
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** Each quoted line through bash (`eval "set -- $line"`), in one process: the argv bash reads from each. */
function throughBash(lines: string[]): string[][] {
  const script = 'while IFS= read -r line; do eval "set -- $line"; printf "%s\\0" "$#" "$@"; done';
  const run = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
    input: `${lines.join('\n')}\n`,
    env: { LC_ALL: 'C.UTF-8', PATH: '/usr/bin:/bin' },
    maxBuffer: 64 << 20,
  });
  expect(run.status, run.stderr.toString()).toBe(0);
  const fields = run.stdout.toString('utf8').split('\0');
  const out: string[][] = [];
  let k = 0;
  for (let n = 0; n < lines.length; n++) {
    const count = Number(fields[k++]);
    out.push(fields.slice(k, k + count));
    k += count;
  }
  return out;
}

/** Arguments as a program can receive them: any code point but NUL; short, often with the characters that matter. */
const tricky = fc.constantFrom(
  ' ',
  "'",
  '"',
  '$',
  '\\',
  '\n',
  '\t',
  '\r',
  '\u001b',
  '[2K',
  '\u202e',
  '\u2066',
  '\u200b',
  '\u00a0',
  '\u0301',
  '…',
  '`',
  '*',
  '~',
  '#',
  '!',
  '=',
  'é',
  '漢',
  '😀',
  '\u{e0041}',
  '\u0085',
  '\u007f',
  '-',
);
const argument = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
      { weight: 2, arbitrary: tricky },
      { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join('').replace(/\0/g, ''));
const argvs = fc.array(argument, { minLength: 1, maxLength: 6 });

describe('quoteArgv', () => {
  it("shows the issue's argument as one: -o 'ci.skip --dry-run'", () => {
    expect(quoteArgv(ISSUE_ARGV)).toBe("git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main");
  });

  it.each([
    [['a b'], "'a b'"],
    [["it's"], "'it'\\''s'"],
    [['$HOME'], "'$HOME'"],
    [['a\\b'], "'a\\b'"],
    [['x\ny'], "$'x\\ny'"],
    [['\u001b[2K'], "$'\\e[2K'"],
    [[''], "''"],
    [['', ''], "'' ''"],
    [['trailing '], "'trailing '"],
    [['ab\u202ecd'], "$'ab\\u202Ecd'"],
    [['\u2066x\u2069'], "$'\\u2066x\\u2069'"],
    [['zero\u200bwidth'], "$'zero\\u200Bwidth'"],
    [['nb\u00a0sp'], "$'nb\\u00A0sp'"],
    [['tag\u{e0041}'], "$'tag\\U000E0041'"],
    [['del\u007f', 'c1\u0085'], "$'del\\x7F' $'c1\\u0085'"],
    [["both\\\u001b'"], "$'both\\\\\\e\\''"],
    [['\u0301x'], "$'\\u0301x'"],
    [['héllo', '漢字', '😀'], "'héllo' '漢字' '😀'"],
    [['-', '--', 'a=b', 'k:v,w', '50%', 'a@b', '+x', './p/q.txt'], '- -- a=b k:v,w 50% a@b +x ./p/q.txt'],
    [
      ['~', '*', '#x', 'a;b', 'a|b', '`x`', '"x"', '(x)', '{a,b}'],
      "'~' '*' '#x' 'a;b' 'a|b' '`x`' '\"x\"' '(x)' '{a,b}'",
    ],
  ])('%j → %s', (argv, shown) => {
    expect(quoteArgv(argv)).toBe(shown);
    expect(parseWords(shown)).toEqual(argv);
  });

  it('gives back the exact argv through bash, for the cases above and generated ones', () => {
    const cases = [
      ISSUE_ARGV,
      [
        'a b',
        "it's",
        '$HOME',
        '$(echo PWNED)',
        '`echo PWNED`',
        'a\\b',
        'x\ny',
        '\u001b[2K',
        '',
        'trailing ',
        'ab\u202ecd',
        '\u0301x',
        '漢字',
        '\u{e0041}',
        '\u0085',
        '\r\n',
      ],
    ];
    const generated = fc.sample(argvs, { numRuns: 400, seed: 46 });
    const all = [...cases, ...generated];
    const lines = all.map(quoteArgv);
    expect(throughBash(lines)).toEqual(all);
  });

  it("reads back through the notation's parser, and shows no hidden character raw (property)", () => {
    fc.assert(
      fc.property(argvs, (argv) => {
        const shown = quoteArgv(argv);
        expect(parseWords(shown)).toEqual(argv);
        expect(shown).not.toMatch(RAW);
        expect(shown).not.toMatch(/[\n\r]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('is one word per argument: a quoted argument never splits, a bare one is only safe characters', () => {
    fc.assert(
      fc.property(argument, (arg) => {
        const q = quoteArg(arg);
        expect(parseWords(q)).toEqual([arg]);
        if (!/^['$]/.test(q)) expect(q).toMatch(/^[A-Za-z0-9_@%+=:,./-]+$/);
      }),
    );
  });
});

describe('escapeControl', () => {
  it('escapes C0, C1, DEL, bidi controls, zero-width and other invisible characters; keeps what is seen', () => {
    expect(escapeControl('a\u001b[2Kb')).toBe('a\\e[2Kb');
    expect(escapeControl('x\ny\tz\rw')).toBe('x\\ny\\tz\\rw');
    expect(escapeControl('\u0007\u0000\u007f\u0085\u009b')).toBe('\\x07\\x00\\x7F\\u0085\\u009B');
    expect(escapeControl('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c')).toBe(
      '\\u202A\\u202B\\u202C\\u202D\\u202E\\u2066\\u2067\\u2068\\u2069\\u200E\\u200F\\u061C',
    );
    expect(escapeControl('\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u115f\u3164\ufe0f\u180e\u2800')).toBe(
      '\\u200B\\u200C\\u200D\\u2060\\uFEFF\\u00AD\\u034F\\u115F\\u3164\\uFE0F\\u180E\\u2800',
    );
    expect(escapeControl('\u00a0\u2003\u3000\u2028\u2029')).toBe('\\u00A0\\u2003\\u3000\\u2028\\u2029');
    expect(escapeControl('\u{e0001}\u{e0068}\u{f0000}\u{e01ef}')).toBe('\\U000E0001\\U000E0068\\U000F0000\\U000E01EF');
    expect(escapeControl('\ud800 lone')).toBe('\\uD800 lone');
    expect(escapeControl('plain text, ünïcödé, 漢字, emoji 😀, a trailing space ')).toBe(
      'plain text, ünïcödé, 漢字, emoji 😀, a trailing space ',
    );
  });

  it('doubles a backslash and escapes …, so an escape and a cut mark cannot be forged', () => {
    expect(escapeControl('a\\e[2K')).toBe('a\\\\e[2K');
    expect(escapeControl('a\u001b[2K')).not.toBe(escapeControl('a\\e[2K'));
    expect(escapeControl('more…(+9 chars)')).toBe('more\\u2026(+9 chars)');
  });

  it('never lets a hidden character through, and two texts never look the same (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        (a, b) => {
          const shown = escapeControl(a);
          expect(shown).not.toMatch(RAW);
          expect(shown).not.toContain('…');
          if (a !== b) expect(escapeControl(b)).not.toBe(shown);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('cut', () => {
  it('marks every cut with how much it left out, and leaves short text alone', () => {
    expect(cut('short', 10)).toBe('short');
    expect(cut('x'.repeat(100), 30)).toBe(`${'x'.repeat(17)}…(+83 chars)`);
    expect(cut('x'.repeat(100), 40, '--json shows all')).toMatch(/^x+…\(\+\d+ chars; --json shows all\)$/);
    expect(cut('x'.repeat(100), Infinity)).toBe('x'.repeat(100));
    // Narrower than its own mark: the mark still comes.
    expect(cut('x'.repeat(100), 3)).toBe('…(+100 chars)');
  });

  it('never splits an escape or a surrogate pair', () => {
    const shown = escapeControl('\u001b'.repeat(30));
    const c = cut(shown, 30);
    expect(c).toMatch(/^(\\e)+…\(\+\d+ chars\)$/);
    expect(cut(shownText('ab\u202ecd'.repeat(10)), 20)).toMatch(/^(ab\\u202Ecd)*(ab?)?(\\u202E)?(c|cd)?…/);
    for (const t of [cut('😀'.repeat(50), 20), cut(escapeControl('\u{e0041}'.repeat(20)), 25)])
      expect(t).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|\\U[0-9A-F]{0,7}…/);
  });

  it('keeps a prefix of what it was given, says exactly how much is missing, and fits the width when it can (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.integer({ min: 0, max: 120 }), (text, width) => {
        const shown = escapeControl(text);
        const c = cut(shown, width);
        const n = [...shown].length;
        if (n <= width) {
          expect(c).toBe(shown);
          return;
        }
        const m = /^([\s\S]*)…\(\+(\d+) chars\)$/u.exec(c);
        expect(m).not.toBeNull();
        const kept = m?.[1] ?? '';
        expect(shown.startsWith(kept)).toBe(true);
        expect([...kept].length + Number(m?.[2])).toBe(n);
        if (width >= 20) expect([...c].length).toBeLessThanOrEqual(width);
        // The part kept ends on a whole escape: it reads back as a prefix of the original.
        expect(kept.replace(/\\\\/g, '').endsWith('\\')).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('jsonVisible', () => {
  it('escapes what JSON.stringify leaves raw, and JSON.parse gives the value back', () => {
    const value = { cmd: 'git push \u202e origin', z: 'a\u200bb\u2028c\u0085', tag: '\u{e0041}' };
    const shown = jsonVisible(JSON.stringify(value));
    expect(shown).not.toMatch(RAW);
    expect(JSON.parse(shown)).toEqual(value);
    const pretty = jsonVisible(JSON.stringify(value, null, 2), true);
    expect(pretty.split('\n')).toHaveLength(5);
    expect(JSON.parse(pretty)).toEqual(value);
  });
});
