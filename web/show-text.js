// @ts-check
// Text a model may have written, shown on the page as it is: protocol/show-text.ts's rules, for the page's own
// renderings of events and transcripts (an approval's call comes made by the daemon, in /api/approvals' `shown`).
// The page has no build step, so this is a copy; test/web/show-text.test.ts checks it gives what the original gives.
// textContent already keeps HTML out; this keeps out what textContent lets act: bidi overrides that reorder a line,
// zero-width and other invisible characters, controls (see protocol/show-text.ts for the list and the notation).

const HIDDEN = /^(?:[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]|(?! )\p{Zs})$/u;
const MARK = /^\p{M}$/u;
/** @type {Readonly<Record<number, string>>} */
const NAMED = { 0x0a: '\\n', 0x09: '\\t', 0x0d: '\\r', 0x1b: '\\e' };

/** @type {(n: number, digits: number) => string} */
const hex = (n, digits) => n.toString(16).toUpperCase().padStart(digits, '0');

/**
 * @param {string} ch
 * @param {boolean} [first]
 */
export function isHidden(ch, first = false) {
  return HIDDEN.test(ch) || (first && MARK.test(ch));
}

/** @param {string} ch */
function escapeCodePoint(ch) {
  const cp = ch.codePointAt(0) ?? 0;
  if (NAMED[cp] !== undefined) return NAMED[cp];
  if (cp < 0x80) return `\\x${hex(cp, 2)}`;
  return cp <= 0xffff ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
}

/** Any text as one visible line: hidden characters escaped, `\` doubled, `…` escaped (the cut mark's alone). */
/** @param {string} text */
export function escapeControl(text) {
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

/**
 * JSON text with its hidden characters as `\uXXXX`; `lines`: its own line breaks (JSON.stringify(v, null, 2)) kept.
 * @param {string} json
 * @param {boolean} [lines]
 */
export function jsonVisible(json, lines = false) {
  let out = '';
  for (const ch of json) {
    if (!isHidden(ch) || (lines && ch === '\n')) out += ch;
    else for (let k = 0; k < ch.length; k++) out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`;
  }
  return out;
}

const ESCAPE = /^\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[\s\S])/u;

/** @param {string} text */
function units(text) {
  const out = [];
  for (let i = 0; i < text.length;) {
    const escape = text[i] === '\\' ? ESCAPE.exec(text.slice(i, i + 10)) : null;
    const unit = escape ? escape[0] : String.fromCodePoint(text.codePointAt(i) ?? 0);
    out.push(unit);
    i += unit.length;
  }
  return out;
}

/** @param {string} text */
const codePoints = (text) => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

/**
 * Shown text in at most `width` characters, or cut with a mark that says how many it left out: `…(+N chars)`.
 * @param {string} text
 * @param {number} width
 * @param {string} [hint]
 */
export function cut(text, width, hint) {
  if (!Number.isFinite(width) || codePoints(text) <= width) return text;
  /** @param {number} left */
  const markFor = (left) => `…(+${left} chars${hint ? `; ${hint}` : ''})`;
  const room = Math.max(0, width - codePoints(markFor(codePoints(text))));
  let kept = '';
  let used = 0;
  for (const unit of units(text)) {
    const w = codePoints(unit);
    if (used + w > room) break;
    kept += unit;
    used += w;
  }
  return `${kept}${markFor(codePoints(text) - used)}`;
}
