/** Reading a syscall's JSON arguments: strict first, then the two safe repairs models often need. */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const RBRACE = 0x7d;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

export type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJson(source: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(source) as unknown };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** Strict JSON first; then one retry with two safe repairs models often need. */
export function parseJsonLeniently(source: string): JsonResult {
  const strict = parseJson(source);
  if (strict.ok) return strict;
  const repaired = repairJson(source);
  if (repaired === source) return strict;
  const retry = parseJson(repaired);
  return retry.ok ? retry : strict;
}

/**
 * Escape raw control characters inside strings (models paste multi-line file content verbatim)
 * and drop trailing commas before `}` or `]`. Nothing else is changed.
 */
function repairJson(source: string): string {
  let out = '';
  let copied = 0;
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      else if (c < 0x20) {
        out += source.slice(copied, i) + escapeControl(c);
        copied = i + 1;
      }
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === COMMA) {
      const next = skipWhitespace(source, i + 1);
      const after = source.charCodeAt(next);
      if (after === RBRACE || after === RBRACKET) {
        out += source.slice(copied, i);
        copied = i + 1;
      }
    }
  }
  return copied === 0 ? source : out + source.slice(copied);
}

function escapeControl(c: number): string {
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c === 0x09) return '\\t';
  return `\\u${c.toString(16).padStart(4, '0')}`;
}

export function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x0c && c !== 0x0b && c !== 0xa0) break;
    i++;
  }
  return i;
}
