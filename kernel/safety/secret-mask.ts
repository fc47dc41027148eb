/**
 * Finding a secret in text that comes back, in whatever form it took on the way: the whole value,
 * any run of WINDOW or more of its characters (the value minus a character is still the secret),
 * in upper or lower case or reversed, and inside base64, base64url, hex, escapes (secret-escapes.ts:
 * backslash, octal, `\u{…}`, HTML/XML references, %-escapes, quoted-printable), or spelled one
 * element at a time (secret-elements.ts: characters with a separator between each, a list of
 * byte or character-code numbers). Encoded runs are decoded (at every alignment) and searched the
 * same way; a run that holds the secret is replaced whole, an element run from its first element
 * of the secret to its last. Removing only the exact value let slices and encodings through.
 */
import { type ElementRun, elementRuns } from './secret-elements.js';
import { decodeEscapes, HAS_ESCAPE, TOKEN_RUN } from './secret-escapes.js';

/** A run this long of a secret's characters is the secret (shorter values: the whole value). */
export const MASK_WINDOW = 8;

interface Needle {
  name: string;
  /** Every WINDOW-long slice of the value and of its reverse, lower-cased. */
  windows: Set<string>;
  /** The first two characters of every window, as one number: a cheap test before the slice. */
  starts: Set<number>;
  window: number;
}

const BASE64_RUN = /[A-Za-z0-9+/_-]{11,}={0,2}/g;
const HEX_RUN = /(?:[0-9A-Fa-f]{2}[:\s-]?){6,}/g;

function lower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function needle(name: string, value: string): Needle {
  const window = Math.min(MASK_WINDOW, value.length);
  const windows = new Set<string>();
  for (const form of [lower(value), lower([...value].reverse().join(''))]) {
    for (let i = 0; i + window <= form.length; i++) windows.add(form.slice(i, i + window));
  }
  const starts = new Set([...windows].map((w) => pair(w, 0)));
  return { name, windows, starts, window };
}

/** The characters at `i` and `i + 1` as one number (a lone last character: itself). */
function pair(text: string, i: number): number {
  return text.charCodeAt(i) * 0x10000 + (i + 1 < text.length ? text.charCodeAt(i + 1) : 0);
}

/** Whether a window of the secret starts at `i` of `low`: the pair is tested first, being cheap. */
function windowAt(low: string, i: number, n: Needle): boolean {
  return (n.window < 2 || n.starts.has(pair(low, i))) && n.windows.has(low.slice(i, i + n.window));
}

/** [start, end) spans of `low` (lower-cased text) that hold a window of the secret. */
function windowSpans(low: string, n: Needle): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let i = 0; i + n.window <= low.length; i++) {
    if (!windowAt(low, i, n)) continue;
    let end = i + n.window;
    while (end < low.length && windowAt(low, end - n.window + 1, n)) end++;
    const last = spans[spans.length - 1];
    if (last && last[1] >= i) last[1] = Math.max(last[1], end);
    else spans.push([i, end]);
    i = end - 1;
  }
  return spans;
}

function holds(low: string, n: Needle): boolean {
  for (let i = 0; i + n.window <= low.length; i++) if (windowAt(low, i, n)) return true;
  return false;
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

/** An encoded run of the text and its decodings (lower-cased): it is replaced whole if one holds the secret. */
interface Encoded {
  start: number;
  end: number;
  readings: string[];
}

/** The text read every other way the mask knows, worked out once for all the secrets. */
interface Readings {
  low: string;
  encoded: Encoded[];
  elements: Array<ElementRun & { low: string }>;
}

const HIGH_BYTE = /[\x80-\xff]/;

function readingsOf(text: string, window: number): Readings {
  const encoded: Encoded[] = [];
  const scan = (pattern: RegExp, decode: (run: string) => string[], only?: RegExp): void => {
    for (const m of text.matchAll(pattern)) {
      // A decoding is never longer than its run: a run shorter than a window holds no secret.
      if (m[0].length < window || (only && !only.test(m[0]))) continue;
      const readings: string[] = [];
      for (const d of decode(m[0])) {
        if (d.length >= window) readings.push(lower(d));
        // Decoded bytes are read as UTF-8 too, for values with characters outside ASCII.
        if (HIGH_BYTE.test(d)) readings.push(lower(Buffer.from(d, 'latin1').toString('utf8')));
      }
      if (readings.length > 0) encoded.push({ start: m.index, end: m.index + m[0].length, readings });
    }
  };
  scan(BASE64_RUN, decodeBase64);
  scan(HEX_RUN, decodeHex);
  if (HAS_ESCAPE.test(text)) scan(TOKEN_RUN, decodeEscapes, HAS_ESCAPE);
  const elements = elementRuns(text, window).map((run) => ({ ...run, low: lower(run.text) }));
  return { low: lower(text), encoded, elements };
}

/** Every span of the text that holds the secret, in one reading or another, in order. */
function secretSpans(r: Readings, n: Needle): Array<[number, number]> {
  const spans = windowSpans(r.low, n);
  for (const e of r.encoded) if (e.readings.some((d) => holds(d, n))) spans.push([e.start, e.end]);
  for (const run of r.elements) {
    const found = windowSpans(run.low, n);
    const at = (i: number): [number, number] => run.at[i] as [number, number];
    // One character per element: a run of the secret maps back to its own elements.
    if (found.length > 0 && run.text.length === run.at.length)
      for (const [start, end] of found) spans.push([at(start)[0], at(end - 1)[1]]);
    else if (found.length > 0 || (run.bytes && holds(lower(run.bytes.toString('utf8')), n)))
      spans.push([at(0)[0], at(run.at.length - 1)[1]]);
  }
  return spans.sort((a, b) => a[0] - b[0]);
}

export class SecretMask {
  private readonly needles: Needle[];
  /** The shortest window of all the secrets: runs shorter than it hold none of them. */
  private readonly window: number;

  constructor(secrets: ReadonlyArray<{ name: string; value: string }>) {
    this.needles = secrets.filter((s) => s.value.length > 0).map((s) => needle(s.name, s.value));
    this.window = Math.min(MASK_WINDOW, ...this.needles.map((n) => n.window));
  }

  get empty(): boolean {
    return this.needles.length === 0;
  }

  /** `text` with every form of every secret replaced by `[secret NAME]`. */
  maskText(text: string): string {
    let out = text;
    // Decoding is the cost: it is done once, and again only after a secret was masked.
    let readings: Readings | null = null;
    for (const n of this.needles) {
      if (out.length < n.window) continue;
      readings ??= readingsOf(out, this.window);
      const spans = secretSpans(readings, n);
      if (spans.length === 0) continue;
      let result = '';
      let at = 0;
      for (const [start, end] of spans) {
        if (end <= at) continue;
        result += `${out.slice(at, Math.max(at, start))}[secret ${n.name}]`;
        at = end;
      }
      out = result + out.slice(at);
      readings = null;
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
