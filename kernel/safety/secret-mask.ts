/**
 * Finding a secret in text that comes back, in whatever form it took on the way: the whole value,
 * any run of WINDOW or more of its characters (the value minus a character is still the secret),
 * in any letter case or reversed, and inside base64, base64url, hex, %-escapes or JSON/JS escapes.
 * Encoded runs are decoded (at every alignment) and searched the same way; a run that holds the
 * secret is replaced whole. Removing only the exact value let slices and encodings through.
 */

/** A run this long of a secret's characters is the secret (shorter values: the whole value). */
export const MASK_WINDOW = 8;

interface Needle {
  name: string;
  /** Every WINDOW-long slice of the value and of its reverse, lower-cased. */
  windows: Set<string>;
  window: number;
}

const BASE64_RUN = /[A-Za-z0-9+/_-]{11,}={0,2}/g;
const HEX_RUN = /(?:[0-9A-Fa-f]{2}[:\s-]?){6,}/g;
const TOKEN_RUN = /(?:\\.|[^\s"'<>\\])+/g;
const HAS_ESCAPE = /%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|\\[\\/"'nrt]|&#x?[0-9A-Fa-f]+;/;

function lower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function needle(name: string, value: string): Needle {
  const window = Math.min(MASK_WINDOW, value.length);
  const windows = new Set<string>();
  for (const form of [lower(value), lower([...value].reverse().join(''))]) {
    for (let i = 0; i + window <= form.length; i++) windows.add(form.slice(i, i + window));
  }
  return { name, windows, window };
}

/** [start, end) spans of `text` that hold a window of the secret. */
function rawSpans(text: string, n: Needle): Array<[number, number]> {
  const low = lower(text);
  const spans: Array<[number, number]> = [];
  for (let i = 0; i + n.window <= low.length; i++) {
    if (!n.windows.has(low.slice(i, i + n.window))) continue;
    let end = i + n.window;
    while (end < low.length && n.windows.has(low.slice(end - n.window + 1, end + 1))) end++;
    const last = spans[spans.length - 1];
    if (last && last[1] >= i) last[1] = Math.max(last[1], end);
    else spans.push([i, end]);
    i = end - 1;
  }
  return spans;
}

function holds(text: string, n: Needle): boolean {
  return rawSpans(text, n).length > 0;
}

function decodeBase64(run: string): string[] {
  const out: string[] = [];
  const body = run.replace(/=+$/, '');
  for (let skip = 0; skip < 4; skip++) {
    const part = body.slice(skip);
    const usable = part.slice(0, part.length - (part.length % 4));
    if (usable.length < 8) continue;
    out.push(Buffer.from(usable.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1'));
  }
  return out;
}

function decodeHex(run: string): string[] {
  const digits = run.replace(/[:\s-]/g, '');
  return [0, 1].map((skip) => {
    const part = digits.slice(skip);
    return Buffer.from(part.slice(0, part.length - (part.length % 2)), 'hex').toString('latin1');
  });
}

function decodeEscapes(run: string): string[] {
  const text = run
    .replace(/\\u([0-9A-Fa-f]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\x([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&#x([0-9A-Fa-f]+);/g, (_m, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff)))
    .replace(/&#([0-9]+);/g, (_m, d: string) => String.fromCodePoint(Math.min(parseInt(d, 10), 0x10ffff)))
    .replace(/\\([\\/"'])/g, '$1')
    .replace(/\\n/g, '\n')
    .replace(/\\r/g, '\r')
    .replace(/\\t/g, '\t');
  const bytes = text.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  // %-escapes are bytes: read them as UTF-8 too, for values with characters outside ASCII.
  return [text, bytes, Buffer.from(bytes, 'latin1').toString('utf8')];
}

/** Spans of encoded runs whose decoding holds the secret. */
function encodedSpans(text: string, n: Needle): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const scan = (pattern: RegExp, decode: (run: string) => string[], only?: RegExp): void => {
    for (const m of text.matchAll(pattern)) {
      if (only && !only.test(m[0])) continue;
      if (decode(m[0]).some((d) => holds(d, n) || holds(Buffer.from(d, 'latin1').toString('utf8'), n)))
        spans.push([m.index, m.index + m[0].length]);
    }
  };
  scan(BASE64_RUN, decodeBase64);
  scan(HEX_RUN, decodeHex);
  if (/[%\\&]/.test(text)) scan(TOKEN_RUN, decodeEscapes, HAS_ESCAPE);
  return spans;
}

export class SecretMask {
  private readonly needles: Needle[];

  constructor(secrets: ReadonlyArray<{ name: string; value: string }>) {
    this.needles = secrets.filter((s) => s.value.length > 0).map((s) => needle(s.name, s.value));
  }

  get empty(): boolean {
    return this.needles.length === 0;
  }

  /** `text` with every form of every secret replaced by `[secret NAME]`. */
  maskText(text: string): string {
    let out = text;
    for (const n of this.needles) {
      if (out.length < n.window) continue;
      const spans = [...rawSpans(out, n), ...encodedSpans(out, n)].sort((a, b) => a[0] - b[0]);
      if (spans.length === 0) continue;
      let result = '';
      let at = 0;
      for (const [start, end] of spans) {
        if (end <= at) continue;
        result += `${out.slice(at, Math.max(at, start))}[secret ${n.name}]`;
        at = end;
      }
      out = result + out.slice(at);
    }
    return out;
  }

  /** Every string in `value` (deeply, keys too) masked. */
  mask(value: unknown): unknown {
    if (this.empty) return value;
    if (typeof value === 'string') return this.maskText(value);
    if (Array.isArray(value)) return value.map((v) => this.mask(v));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.maskText(k), this.mask(v)]));
    return value;
  }
}
