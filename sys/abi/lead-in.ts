/**
 * The seed's dialect lets prose stand between a syscall marker and its arguments — it scans ahead
 * to the first `{` ("[SYS_CALL::EXEC_CMD] with args: {...}"). A lead-in is short and ends the
 * sentence it opens: it stops at a sentence end, at the next marker and after `maxChars`, and only
 * a `{` that opens a JSON object (`{"` or `{}`) counts, so braces in prose stay prose.
 */

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const QUOTE = 0x22;

/** Where the arguments' `{` is, after the lead-in starting at `from`; -1 when there are none. */
export function findObjectAfterLeadIn(text: string, from: number, maxChars: number, marker: string): number {
  const limit = Math.min(text.length, from + maxChars);
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === LBRACE) return opensObject(text, i) ? i : -1;
    if (endsSentence(text, i, from) || text.startsWith(marker, i)) return -1;
  }
  return -1;
}

/** `.`, `!` or `?` right after the marker ("[SYS_CALL::SYS_EXIT]. Done") or before a space. */
function endsSentence(text: string, i: number, from: number): boolean {
  const c = text[i];
  if (c !== '.' && c !== '!' && c !== '?') return false;
  return i === from || i + 1 >= text.length || /\s/.test(text[i + 1] ?? '');
}

function opensObject(text: string, open: number): boolean {
  let i = open + 1;
  while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  const c = text.charCodeAt(i);
  return c === QUOTE || c === RBRACE;
}
