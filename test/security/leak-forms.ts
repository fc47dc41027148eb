/**
 * Every form of a secret a store scan looks for (issue 27.2): the value, each 8-character slice of
 * it (and of its reverse, upper- and lower-cased), and the whole value base64 (at the three byte
 * alignments it can take inside a longer blob), base64url, hex, %-encoded and JSON-escaped; and the
 * spellings a host that reflects a header may send back (red team s18): XML/HTML named entities,
 * quoted-printable, a separator between each character, octal and ES2015 `\u{…}` escapes, and the
 * value's bytes as a list of numbers.
 */
import { MASK_WINDOW } from '../../kernel/safety/secret-mask.js';

/** The value as an XML or HTML page quotes it. */
function xmlEscaped(value: string): string {
  const named: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
  return value.replace(/[&<>"']/g, (c) => named[c] ?? c);
}

function windows(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + MASK_WINDOW <= text.length; i++) out.push(text.slice(i, i + MASK_WINDOW));
  return out;
}

/** The part of base64(prefix + value) that does not depend on what surrounds the value. */
function base64Cores(value: Buffer, encoding: 'base64' | 'base64url'): string[] {
  return [0, 1, 2].map((pad) => {
    const text = Buffer.concat([Buffer.alloc(pad, 0x41), value])
      .toString(encoding)
      .replace(/=+$/, '');
    const start = Math.ceil((pad * 4) / 3) + 1;
    return text.slice(start, text.length - 2);
  });
}

export function leakForms(value: string): string[] {
  const bytes = Buffer.from(value);
  const reversed = [...value].reverse().join('');
  const forms = new Set<string>([
    value,
    ...windows(value),
    ...windows(reversed),
    ...windows(value.toUpperCase()),
    ...windows(value.toLowerCase()),
    ...base64Cores(bytes, 'base64'),
    ...base64Cores(bytes, 'base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    encodeURIComponent(value),
    [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
    JSON.stringify(value).slice(1, -1),
    JSON.stringify(JSON.stringify(value)).slice(1, -1),
    xmlEscaped(value),
    [...bytes].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    [...value].join(' '),
    [...value].join('-'),
    [...bytes].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join(''),
    [...value].map((c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`).join(''),
    `[${[...bytes].join(',')}]`,
    [...bytes].join(', '),
  ]);
  return [...forms].filter((f) => f.length >= MASK_WINDOW);
}
