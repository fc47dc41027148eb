/**
 * Text as a terminal shows it: width in columns, not `.length` — a CJK character takes two, a
 * combining mark or a zero-width joiner none, an emoji one grapheme of two. Cutting keeps whole
 * graphemes and marks the cut `…`. East Asian widths are get-east-asian-width's (what Ink's
 * string-width uses); not string-width itself, whose emoji regexes cost ~10 ms of every `aos ps`
 * start just to load. Printable ASCII, the common case, is measured without any of it.
 */
import { eastAsianWidth } from 'get-east-asian-width';

let segmenter: Intl.Segmenter | undefined;
let zeroWidth: RegExp | undefined;
let emoji: RegExp | undefined;

/** One grapheme's columns: 0 when nothing of it prints, 2 for an emoji or a wide East Asian character. */
function graphemeWidth(grapheme: string): number {
  zeroWidth ??= /^[\p{Default_Ignorable_Code_Point}\p{Control}\p{Format}\p{Nonspacing_Mark}\p{Enclosing_Mark}]+$/u;
  if (zeroWidth.test(grapheme)) return 0;
  emoji ??= /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\u200D\p{Extended_Pictographic}/u;
  if (emoji.test(grapheme)) return 2;
  const first = grapheme.codePointAt(0) ?? 0;
  return eastAsianWidth(first);
}

/** How many terminal columns `text` takes. */
export function displayWidth(text: string): number {
  if (ASCII.test(text)) return text.length;
  let width = 0;
  for (const part of split(text)) width += graphemeWidth(part);
  return width;
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

/** Printable ASCII (and the cut mark `…`): one column a character, each its own grapheme. */
const ASCII = /^[\x20-\x7e…]*$/;

function split(text: string): string[] {
  // The segmenter loads ICU's break rules (~30 ms) at its first use: never for ASCII.
  if (ASCII.test(text)) return text.split('');
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** Cut to `width` columns, keeping the start: `worker-with-a-long-name` → `worker-with…`. */
export function cutEnd(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  return `${take(split(text), width - 1)}…`;
}

/** Cut to `width` columns, keeping the end: what a model is writing, its newest words last. */
export function cutStart(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  return `…${take(split(text), width - 1, true)}`;
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
