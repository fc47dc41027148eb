/**
 * Text a person reads before deciding, shown so it cannot lie (issue 46.6): the primitives under
 * show-call.ts, which every surface (aos approvals, approve/deny, audit, top, the web view, MCP)
 * uses. The rules, in one place:
 *
 * - **Escapes.** A character that is not seen for what it is — C0 and C1 controls and DEL, line
 *   and paragraph separators, every format character (bidi embeddings, overrides and isolates
 *   U+202A–U+202E, U+2066–U+2069, marks U+200E/U+200F/U+061C, zero-width U+200B–U+200D, word
 *   joiner, BOM, tag characters U+E0000–U+E007F, …), every default-ignorable code point (soft
 *   hyphen, variation selectors, Hangul fillers, combining grapheme joiner, …), spaces other than
 *   U+0020 (no-break, en, ideographic, …), the Braille blank, private-use, unassigned and lone
 *   surrogate code points, and a combining mark with nothing before it to sit on — is written as a
 *   backslash escape in the notation of bash's `$'…'` (POSIX.1-2024 dollar-single-quotes):
 *   `\n` `\t` `\r` `\e` (ESC), `\xHH` (other ASCII controls, always two digits), `\uHHHH` (always
 *   four), `\UHHHHHHHH` (always eight), hex digits in upper case. A lone surrogate is `\uD800`,
 *   which no byte string holds (bash cannot read it back).
 * - **Free text** (escapeControl: a subject, a reason, a name): the escapes above, a backslash
 *   doubled (`\\`), and `…` written `\u2026` — so every backslash in what is shown begins an
 *   escape, and the only bare `…` is a cut mark.
 * - **An argv** (quoteArgv): each argument bare when it is only `A–Z a–z 0–9 _ @ % + = : , . / -`;
 *   otherwise `'single-quoted'` (a quote inside as `'\''`) when it holds nothing to escape;
 *   otherwise `$'…'` with the escapes above and `\\`, `\'`. Arguments are joined by one space. The
 *   result is a POSIX shell line that gives back the same argv (`eval "set -- $line"`), and the
 *   `$` before a quote is what tells an escape from an argument that holds a backslash.
 * - **Cuts** (cut): only ever with a mark, `…(+N chars)`, N the characters left out, and never
 *   inside an escape or a surrogate pair.
 */

/** A code point that is shown as an escape wherever text is shown (see above). */
const HIDDEN = /^(?:[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]|(?! )\p{Zs})$/u;
const MARK = /^\p{M}$/u;
/** An argument shown bare: nothing a shell (or a reader) takes for anything but itself. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
const NAMED: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x09: '\\t', 0x0d: '\\r', 0x1b: '\\e' };

const hex = (n: number, digits: number): string => n.toString(16).toUpperCase().padStart(digits, '0');

/** True when `ch` (one code point) is shown escaped. `first`: it begins the text (a mark there sits on what precedes it). */
export function isHidden(ch: string, first = false): boolean {
  return HIDDEN.test(ch) || (first && MARK.test(ch));
}

/** One code point as its escape. */
export function escapeCodePoint(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const named = NAMED[cp];
  if (named !== undefined) return named;
  if (cp < 0x80) return `\\x${hex(cp, 2)}`;
  return cp <= 0xffff ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
}

/** Any text made one visible line: hidden characters escaped, `\` doubled, `…` escaped (the cut mark's alone). */
export function escapeControl(text: string): string {
  let out = '';
  let first = true;
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\u2026' || isHidden(ch, first)) out += escapeCodePoint(ch);
    else out += ch;
    first = false;
  }
  return out;
}

/** One argument as a shell reads it back: bare, '…', or $'…' (see above). */
export function quoteArg(arg: string): string {
  if (SAFE.test(arg)) return arg;
  const chars = [...arg];
  if (!chars.some((ch, i) => isHidden(ch, i === 0))) return `'${arg.replace(/'/g, `'\\''`)}'`;
  let body = '';
  chars.forEach((ch, i) => {
    body += ch === '\\' ? '\\\\' : ch === "'" ? "\\'" : isHidden(ch, i === 0) ? escapeCodePoint(ch) : ch;
  });
  return `$'${body}'`;
}

/** An argv as a POSIX shell line whose words are exactly these arguments: boundaries and controls visible. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/** The escapes cut() never splits: `\\`, `\n`-like, `\'`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`. */
const ESCAPE = /^\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[\s\S])/u;

/** Shown text as the units a cut keeps whole: escapes and code points. */
function units(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const escape = text[i] === '\\' ? ESCAPE.exec(text.slice(i, i + 10)) : null;
    const unit = escape ? escape[0] : String.fromCodePoint(text.codePointAt(i) ?? 0);
    out.push(unit);
    i += unit.length;
  }
  return out;
}

const codePoints = (text: string): number => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

/**
 * `text` (already shown: escaped or quoted) in at most `width` characters, or cut with a mark that
 * says how many characters it left out: `…(+N chars)`, `…(+N chars; <hint>)`. Never silent: a text
 * that is cut always ends with the mark, even when the mark alone is wider than `width`.
 */
export function cut(text: string, width: number, hint?: string): string {
  if (!Number.isFinite(width) || codePoints(text) <= width) return text;
  const all = units(text);
  const markFor = (left: number): string => `…(+${left} chars${hint ? `; ${hint}` : ''})`;
  // The mark's width depends on the count; one pass with the longest count it can have is enough.
  const room = Math.max(0, width - codePoints(markFor(codePoints(text))));
  let kept = '';
  let used = 0;
  for (const unit of all) {
    const w = codePoints(unit);
    if (used + w > room) break;
    kept += unit;
    used += w;
  }
  return `${kept}${markFor(codePoints(text) - used)}`;
}

/** Free text escaped, then cut with a mark (the usual pair). */
export function shownText(text: string, width = Infinity, hint?: string): string {
  return cut(escapeControl(text), width, hint);
}

/**
 * A value as one line of JSON a person can read and JSON.parse back: JSON's own escapes, and every
 * hidden character as JSON's `\uXXXX` (an astral one as its two halves); cut with a mark.
 */
export function showJson(value: unknown, width = Infinity, hint?: string): string {
  return cut(jsonVisible(JSON.stringify(value) ?? 'null'), width, hint);
}

/**
 * JSON text with its hidden characters as `\uXXXX` (JSON.stringify leaves bidi controls, C1,
 * U+2028… as they are); `lines`: its own line breaks (JSON.stringify(v, null, 2)) kept — a string's
 * are `\n` in JSON already.
 */
export function jsonVisible(json: string, lines = false): string {
  let out = '';
  for (const ch of json) {
    if (!isHidden(ch) || (lines && ch === '\n')) out += ch;
    else for (let k = 0; k < ch.length; k++) out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`;
  }
  return out;
}
