/**
 * Text as a terminal shows it: width in columns, not `.length` — a CJK character takes two, a
 * combining mark or a zero-width joiner none, an emoji sequence one grapheme (string-width, the
 * measure Ink uses, so `ps` and `top` agree). Cutting keeps whole graphemes and marks the cut `…`.
 */
import stringWidth from 'string-width';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** How many terminal columns `text` takes. */
export function displayWidth(text: string): number {
  // Printable ASCII is one column a character: the common case, without segmenting.
  return /^[\x20-\x7e]*$/.test(text) ? text.length : stringWidth(text);
}

/** The graphemes from the start (or, `fromEnd`, from the end) that fit in `width` columns, joined in order. */
function take(parts: readonly string[], width: number, fromEnd = false): string {
  const kept: string[] = [];
  let used = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[fromEnd ? parts.length - 1 - i : i] as string;
    const w = displayWidth(part);
    if (used + w > width) break;
    kept.push(part);
    used += w;
  }
  return (fromEnd ? kept.reverse() : kept).join('');
}

function split(text: string): string[] {
  return Array.from(graphemes.segment(text), (s) => s.segment);
}

/** Cut to `width` columns, keeping the start: `worker-with-a-long-name` → `worker-with…`. */
export function cutEnd(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  return `${take(split(text), width - 1)}…`;
}

/**
 * Cut to `width` columns, keeping both ends (`worker-a` and `worker-b` stay apart: `wor…r-a`);
 * `keepHead` columns of the start are kept whole when they leave room for the end.
 */
export function cutMiddle(text: string, width: number, keepHead?: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 1) return cutEnd(text, width);
  const parts = split(text);
  const room = width - 1;
  const front = keepHead !== undefined && keepHead <= room - 4 ? keepHead : Math.ceil(room / 2);
  const start = take(parts, front);
  return `${start}…${take(parts, room - displayWidth(start), true)}`;
}

/** Pad with spaces to `width` columns, text on the left (or, `right`, on the right). */
export function pad(text: string, width: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return right ? fill + text : text + fill;
}
