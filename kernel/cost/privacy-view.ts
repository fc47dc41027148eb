/**
 * Texts are read for personal data on a copy rewritten for matching — a view — whose every range
 * maps back to the range of the original it came from: a find names the original's offsets and
 * spelling, so redaction replaces exactly what was written and puts exactly that back. Views stack
 * (the phone finder rewrites the normalised view again); each keeps only its edits, sorted, so a
 * text with nothing to rewrite costs no copy.
 *
 * The normalised view every kind reads: format characters (\p{Cf}: zero-width spaces and joiners,
 * soft hyphens, direction marks, BOM) removed, combining marks after a digit removed, every space
 * (\p{Zs}, e.g. no-break and thin spaces) a plain space, every dash (\p{Pd}: U+2010–2015, U+FE58,
 * U+FF0D…) and U+2212 a hyphen-minus, any script's decimal digits (\p{Nd}) ASCII digits, and
 * compatibility forms whose NFKC form is ASCII (fullwidth ＡＢ１＠＋, mathematical 𝟒, circled ①,
 * superscripts, ligatures) that ASCII. Case is left as written: each kind decides (an IBAN is read in
 * any case, a key only as written).
 */

export interface Finding {
  kind: string;
  /** Offsets in the original text. */
  start: number;
  end: number;
  /** The original text's spelling, exactly. */
  text: string;
}

export interface View {
  /** The text to match. */
  readonly text: string;
  /** The original range the view's range [start, end) came from (start < end). */
  origin(start: number, end: number): [number, number];
}

/** One replacement: source [at, end) became [to, toEnd) of the new text. */
interface Edit {
  at: number;
  end: number;
  to: number;
  toEnd: number;
}

export function identity(text: string): View {
  return { text, origin: (start, end) => [start, end] };
}

class Rewritten implements View {
  constructor(
    readonly text: string,
    private readonly source: View,
    private readonly edits: Edit[],
  ) {}

  /** The source range of the new text's character i. */
  private sourceOf(i: number): [number, number] {
    let lo = 0;
    let hi = this.edits.length - 1;
    let last = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.edits[mid] as Edit).to <= i) ((last = mid), (lo = mid + 1));
      else hi = mid - 1;
    }
    if (last === -1) return [i, i + 1];
    const e = this.edits[last] as Edit;
    if (i < e.toEnd) return [e.at, e.end];
    const p = e.end + (i - e.toEnd);
    return [p, p + 1];
  }

  origin(start: number, end: number): [number, number] {
    return this.source.origin(this.sourceOf(start)[0], this.sourceOf(end - 1)[1]);
  }
}

/**
 * `view` with each match of `pattern` (global) replaced. Only a replacement of another length is an
 * edit to map: one of the same length (a no-break space, a fullwidth digit) keeps every position.
 */
export function rewrite(view: View, pattern: RegExp, replace: (match: string) => string): View {
  const edits: Edit[] = [];
  const parts: string[] = [];
  let at = 0;
  let length = 0;
  for (const m of view.text.matchAll(pattern)) {
    const by = replace(m[0]);
    if (by === m[0]) continue;
    const kept = view.text.slice(at, m.index);
    parts.push(kept, by);
    if (by.length !== m[0].length)
      edits.push({
        at: m.index,
        end: m.index + m[0].length,
        to: length + kept.length,
        toEnd: length + kept.length + by.length,
      });
    length += kept.length + by.length;
    at = m.index + m[0].length;
  }
  if (parts.length === 0) return view;
  parts.push(view.text.slice(at));
  const text = parts.join('');
  return edits.length === 0
    ? { text, origin: (start, end) => view.origin(start, end) }
    : new Rewritten(text, view, edits);
}

/** The part [from, to) of a view, as a view of its own. */
export function slice(view: View, from: number, to: number): View {
  return { text: view.text.slice(from, to), origin: (start, end) => view.origin(start + from, end + from) };
}

/** Characters the normalised view may change; ASCII never (the lookahead), so plain text costs one scan. */
const CHANGEABLE =
  /(?![\x00-\x7F])[\p{Cf}\p{Zs}\p{Pd}\p{Nd}\u2212\u00B2\u00B3\u00B9\u2070-\u209F\u2100-\u218F\u2460-\u24FF\uFB00-\uFB06\uFE50-\uFE6B\uFF01-\uFF5E\u{1D400}-\u{1D7FF}\u{1F100}-\u{1F1FF}]/gu;
const DIGIT_MARKS = /(?<=[0-9])\p{M}+/gu;
const ND = /^\p{Nd}$/u;
const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;
const memo = new Map<string, string>();

/** A decimal digit's value: Unicode encodes each script's digits 0–9 in one contiguous run. */
function digitOf(ch: string): string {
  const cp = ch.codePointAt(0) as number;
  let zero = cp;
  while (ND.test(String.fromCodePoint(zero - 1))) zero--;
  return String((cp - zero) % 10);
}

function normaliseChar(ch: string): string {
  let to = memo.get(ch);
  if (to !== undefined) return to;
  if (/\p{Cf}/u.test(ch)) to = '';
  else if (/\p{Zs}/u.test(ch)) to = ' ';
  else if (/[\p{Pd}\u2212]/u.test(ch)) to = '-';
  else if (ND.test(ch)) to = digitOf(ch);
  else {
    const nfkc = ch.normalize('NFKC');
    to = PRINTABLE_ASCII.test(nfkc) ? nfkc : ch;
  }
  if (memo.size < 4_096) memo.set(ch, to);
  return to;
}

/** The view every kind reads (see the top of the file). */
export function normalised(text: string): View {
  if (!/[^\x00-\x7F]/.test(text)) return identity(text);
  const base = rewrite(identity(text), CHANGEABLE, normaliseChar);
  return rewrite(base, DIGIT_MARKS, () => '');
}

/** The find of `kind` at the view's [start, end), in the original's offsets and spelling. */
export function finding(view: View, original: string, kind: string, start: number, end: number): Finding {
  const [a, b] = view.origin(start, end);
  return { kind, start: a, end: b, text: original.slice(a, b) };
}
