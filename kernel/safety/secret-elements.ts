/**
 * Spellings of a secret read one element at a time, for the mask (secret-mask.ts): its characters
 * with one separator between each (`Z q 7 x`, `Z-q-7-x`, `"Z", "q"`, one a line) and its bytes or
 * character codes as a list of numbers (`[90,113,55]`, `0x5a, 0x71`, a signed Java byte array).
 * Each element is one character of the reading, so a run of the secret found in the reading maps
 * back to the elements that spell it, and the text around them is left as it was.
 */

export interface ElementRun {
  /** The reading: one character per element (more only for a code point outside the BMP). */
  text: string;
  /** Where each element lies in the text it was read from. */
  at: Array<[number, number]>;
  /** The elements as bytes, when each is a byte and one is past ASCII: the caller reads them as UTF-8 too. */
  bytes: Buffer | null;
}

const NUMBER = '(?:0[xX][0-9A-Fa-f]{1,6}|-?\\d{1,7})';
const ELEMENT_NUMBER = /0[xX][0-9A-Fa-f]+|-?\d+/g;

interface Patterns {
  separated: RegExp;
  numbers: RegExp;
}

/** The patterns for runs of at least `count` elements, one pair per count the mask uses. */
const byCount = new Map<number, Patterns>();

function patterns(count: number): Patterns {
  let found = byCount.get(count);
  if (!found) {
    const middle = Math.max(count - 2, 0);
    found = {
      // A character, then the same separator (one to four characters, none a letter or a digit)
      // before each next one. One and the same separator throughout is what sets a spelled-out
      // value apart from prose, where single characters between spaces are few and far between.
      separated: new RegExp(`(\\S)([^A-Za-z0-9]{1,4})(?:\\S\\2){${middle},}\\S`, 'g'),
      // Numbers with one and the same separator (a comma or semicolon with spaces, or spaces).
      numbers: new RegExp(
        `(?<![\\w.-])${NUMBER}(\\s*[,;]\\s*|\\s+)(?:${NUMBER}\\1){${middle},}${NUMBER}(?![\\w.])`,
        'g',
      ),
    };
    byCount.set(count, found);
  }
  return found;
}

function separatedRun(m: RegExpExecArray): ElementRun {
  const step = 1 + (m[2] as string).length;
  const at: Array<[number, number]> = [];
  let text = '';
  for (let i = 0; i < m[0].length; i += step) {
    text += m[0][i] as string;
    at.push([m.index + i, m.index + i + 1]);
  }
  return { text, at, bytes: null };
}

function numberRun(m: RegExpExecArray): ElementRun {
  const at: Array<[number, number]> = [];
  const codes: number[] = [];
  for (const e of m[0].matchAll(ELEMENT_NUMBER)) {
    const n = /^0x/i.test(e[0]) ? parseInt(e[0].slice(2), 16) : parseInt(e[0], 10);
    // A negative number is a signed byte (Java's byte[]); a code past Unicode's last is cut to it.
    codes.push(n < 0 ? n & 0xff : Math.min(n, 0x10ffff));
    at.push([m.index + e.index, m.index + e.index + e[0].length]);
  }
  const text = codes.map((c) => String.fromCodePoint(c)).join('');
  // Bytes all below 0x80 read the same as UTF-8: only a run with others is read again.
  const utf8 = codes.some((c) => c >= 0x80) && codes.every((c) => c < 256);
  return { text, at, bytes: utf8 ? Buffer.from(codes) : null };
}

/**
 * Whether a reading took a stray character before the run as its first element and so a part of
 * the separator as every other element (`key: Z - q - 7` read from the colon with one space as
 * the separator gives `:Z-q-7`): the same character, not a letter or digit, at every other place.
 */
function misread(reading: string): boolean {
  for (const from of [1, 2]) {
    const c = reading[from] as string;
    if (reading.length < from + 5 || /[A-Za-z0-9]/.test(c)) continue;
    let same = true;
    for (let i = from; i < reading.length - 1 && same; i += 2) same = reading[i] === c;
    if (same) return true;
  }
  return false;
}

/**
 * Every run of at least `count` separated characters or listed numbers in `text`. Costs one scan
 * per pattern when there is none; a run costs one more scan of itself.
 */
export function elementRuns(text: string, count: number): ElementRun[] {
  const { separated, numbers } = patterns(count);
  const runs: ElementRun[] = [];
  separated.lastIndex = 0;
  for (let m = separated.exec(text); m; m = separated.exec(text)) {
    const run = separatedRun(m);
    runs.push(run);
    if (!misread(run.text)) continue;
    // Read from the next character once more, now that the separator can be the longer one.
    const end = separated.lastIndex;
    separated.lastIndex = m.index + 1;
    const again = separated.exec(text);
    if (again && again.index < end) runs.push(separatedRun(again));
    separated.lastIndex = again && again.index < end ? Math.max(end, separated.lastIndex) : end;
  }
  for (const m of text.matchAll(numbers)) runs.push(numberRun(m));
  return runs;
}
