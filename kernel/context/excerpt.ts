/**
 * A bounded excerpt of a JSON value that keeps its shape: long strings lose their tail, long arrays
 * keep their first items, and the room is shared smallest-first (water-filling), so the small
 * fields — flags, sizes, exit codes — always arrive whole and one huge field cannot crowd out the rest.
 */

/** Length of the JSON text of a value. */
export function jsonSize(value: unknown): number {
  return (JSON.stringify(value) ?? 'null').length;
}

/** Characters a string's code unit takes once JSON-escaped. */
function escapedLength(code: number): number {
  if (code === 0x22 || code === 0x5c) return 2;
  if (code < 0x20) return code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 2 : 6;
  return 1;
}

/** The longest prefix of `text` whose JSON escape (quotes excluded) takes at most `room` characters; never splits a surrogate pair. */
export function prefixLength(text: string, room: number): number {
  let used = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A surrogate pair stays whole; a lone surrogate is escaped as \uXXXX.
    const pair = code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const cost = pair ? 2 : code >= 0xd800 && code <= 0xdfff ? 6 : escapedLength(code);
    if (used + cost > room) break;
    used += cost;
    if (pair) i++;
  }
  return i;
}

/** A string cut to fit `max` JSON characters, saying how much is gone. */
function cutString(text: string, max: number): string {
  const note = ` …[+${text.length} chars]`;
  const keep = prefixLength(text, Math.max(0, max - 2 - note.length));
  return keep >= text.length ? text : `${text.slice(0, keep)} …[+${text.length - keep} chars]`;
}

/** `value` in at most about `max` JSON characters (numbers, booleans and null cannot shrink). */
export function shrink(value: unknown, max: number): unknown {
  if (jsonSize(value) <= max) return value;
  if (typeof value === 'string') return cutString(value, max);
  if (Array.isArray(value)) return shrinkArray(value, max);
  if (value !== null && typeof value === 'object') return shrinkObject(value as Record<string, unknown>, max, null);
  return value;
}

/** Below this much room, an array item that does not fit whole is left out rather than cut. */
const MIN_ITEM_ROOM = 64;

function shrinkArray(items: readonly unknown[], max: number): unknown[] {
  let room = max - 2 - ` "…[+${items.length} more items]"`.length;
  const out: unknown[] = [];
  for (const item of items) {
    const size = jsonSize(item) + 1;
    if (size <= room) {
      out.push(item);
      room -= size;
      continue;
    }
    if (room >= MIN_ITEM_ROOM) out.push(shrink(item, room - 1));
    break;
  }
  if (out.length < items.length) out.push(`…[+${items.length - out.length} more items]`);
  return out;
}

/**
 * A field of the top-level object that was cut: a string to a prefix of `kept` characters (its
 * `<key>_cut_chars` sibling says so), anything else shrunk with notes inside it (`nested`).
 */
export interface FieldCut {
  key: string;
  kept: number;
  cut: number;
  nested: boolean;
}

/**
 * An object within `max` JSON characters. With `cuts`, its string fields are cut without an inline
 * note and each cut is recorded (the caller adds `<key>_cut_chars`, room for which is reserved here).
 */
export function shrinkObject(
  value: Record<string, unknown>,
  max: number,
  cuts: FieldCut[] | null,
): Record<string, unknown> {
  const fields = Object.entries(value).map(([key, v]) => ({ key, v, size: jsonSize(key) + 1 + jsonSize(v) + 1 }));
  const reserve = cuts ? fields.filter((f) => typeof f.v === 'string').reduce((n, f) => n + f.key.length + 24, 0) : 0;
  let room = max - 2 - reserve;
  let left = fields.length;
  const shrunk = new Map<string, unknown>();
  for (const f of [...fields].sort((a, b) => a.size - b.size)) {
    const share = Math.floor(room / left--);
    if (f.size <= share) {
      room -= f.size;
      continue;
    }
    const inner = share - (jsonSize(f.key) + 2);
    const small = cuts && typeof f.v === 'string' ? cutField(f.key, f.v, inner, cuts) : shrink(f.v, inner);
    if (cuts && typeof f.v !== 'string')
      cuts.push({ key: f.key, kept: 0, cut: f.size - jsonSize(small), nested: true });
    shrunk.set(f.key, small);
    room -= jsonSize(f.key) + 2 + jsonSize(small);
  }
  const out: Record<string, unknown> = {};
  for (const { key, v } of fields) out[key] = shrunk.has(key) ? shrunk.get(key) : v;
  for (const c of cuts ?? []) if (!c.nested) out[`${c.key}_cut_chars`] = c.cut;
  return out;
}

function cutField(key: string, text: string, room: number, cuts: FieldCut[]): string {
  const kept = prefixLength(text, Math.max(0, room - 2));
  if (kept >= text.length) return text;
  cuts.push({ key, kept, cut: text.length - kept, nested: false });
  return text.slice(0, kept);
}
