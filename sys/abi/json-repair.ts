/**
 * Reading a syscall's JSON arguments when strict JSON.parse refused them (the parser tries that
 * first: a reply a model wrote well never runs this file): one retry with two safe repairs models
 * often need.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const RBRACE = 0x7d;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

export type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

/** `source` repaired and parsed again; `strict`, the strict parse's failure, when that does not help. */
export function parseRepaired(source: string, strict: JsonResult): JsonResult {
  const repaired = repairJson(source);
  if (repaired === source) return strict;
  try {
    return { ok: true, value: JSON.parse(repaired) as unknown };
  } catch {
    return strict;
  }
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
      const next = skipJsonWhitespace(source, i + 1);
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

/**
 * JSON's own whitespace: a comma that other whitespace (a form feed, a no-break space) parts from
 * its `}` is left, as the repaired text would not parse either way.
 */
function skipJsonWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}
