/**
 * Phone numbers, by libphonenumber's number plans. Only the stretches around a cluster of seven
 * digits or more are read (libphonenumber is the detector's dearest part; with no region, only
 * clusters led by `+` or an international prefix), each rewritten once more on top of the
 * normalised view: a word glued to a number is set apart (`tel0049…`, `…820mobil`; a run of hex
 * letters a–f is not, so hashes stay whole), an international prefix becomes `+` (`00` everywhere,
 * `011` with no region or a +1 one: `0049 30 901820`), and a slash between digits a space
 * (`+49/30/901820`). A number in national form counts only when written as its region writes it —
 * with the trunk prefix where the region dials one (`030 901820`, not a bare `20240115`) — and a
 * date is never a phone number.
 */
import { createRequire } from 'node:module';
import type { CountryCode, PhoneNumber } from 'libphonenumber-js';
import { finding, rewrite, slice, type Finding, type View } from './privacy-view.js';

/**
 * libphonenumber (its number plans: ~90 ms of a start on the 2-core machine), loaded by the first
 * text read for phone numbers, not by every kernel: privacy rules are opt-in and phone detection is
 * one kind of them. Synchronously (its CommonJS build), as detection is.
 */
let lib: typeof import('libphonenumber-js') | undefined;
const phones = (): typeof import('libphonenumber-js') =>
  (lib ??= createRequire(import.meta.url)('libphonenumber-js') as typeof import('libphonenumber-js'));

/**
 * A word glued before a number, and one glued after a number that stands apart on its other side
 * (not a base64 run's letters). A stretch that starts inside a word or token does not take its
 * start for the word's (the `Inside` forms).
 */
const GLUED_BEFORE = /(?<![\p{L}\p{N}])\p{L}+(?=[+(]?\d)/gu;
const GLUED_BEFORE_INSIDE = /(?<![\p{L}\p{N}]|^)\p{L}+(?=[+(]?\d)/gu;
// The lookahead first: the lookbehind is tried only where a word starts, not from every digit of a long run.
const GLUED_AFTER = /(?=\p{L})(?<=(?:^|[^\p{L}\p{N}])[+(]?\d[\d ().-]{0,40})\p{L}+(?![\p{L}\p{N}])/gu;
const GLUED_AFTER_INSIDE = /(?=\p{L})(?<=[^\p{L}\p{N}][+(]?\d[\d ().-]{0,40})\p{L}+(?![\p{L}\p{N}])/gu;
/** Letters left glued: hex (a hash's), and the extension marks libphonenumber reads itself. */
const KEEP_GLUED = /^(?:[a-f]+|x|ext?)$/i;
const IDD = /(?<!\d[.,]?|\+)00[ .-]?(?=[1-9])/g;
const IDD_NANP = /(?<!\d[.,]?|\+)(?:00|011)[ .-]?(?=[1-9])/g;
const SLASH = /(?<=\d)\/(?=\d)/g;
/** Digits with a few separators between, and a lead `+`. */
const CLUSTER = /(?:\+[ \t(]{0,2})?\d(?:[ \t.\-()[\]~/]{0,4}\d)*/g;
const INTERNATIONAL = /^(?:\+|00[ .-]?[1-9]|011)/;
/** Context libphonenumber reads around a number: a `(` before it, an extension after it; a word glued to it, whole up to MAX_WORD. */
const BEFORE = 4;
const AFTER = 12;
const MAX_WORD = 40;
/** Fewer digits are not read as a number: `45.123`, `1188-3` are not telephones. */
const MIN_DIGITS = 7;
/** A UUID's or a hash's digits: a run of hex digits and hyphens this long, with a letter in it. */
const HEX_TOKEN = 16;
/** Numbers that are something else: an IPv4 address (no octet with a leading zero), a version (dots, and a group of one digit after the first). */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const NOT_A_NUMBER = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$|^\\d+(?:\\.\\d+)*\\.\\d(?:\\.|$)`);
const DATE =
  /^\p{Nd}{4}[^\p{Nd}\s]\p{Nd}{1,2}[^\p{Nd}\s]\p{Nd}{1,2}$|^\p{Nd}{1,2}[^\p{Nd}\s]\p{Nd}{1,2}[^\p{Nd}\s]\p{Nd}{2,4}$/u;

interface Plan {
  /** The trunk prefix ('' where the region has none). */
  trunk: string;
  /** Where every national format of the region writes the trunk prefix, a group of digits that starts with it (a number in national form does). */
  trunkGroup: RegExp | null;
}

/** libphonenumber's metadata for a region, through the part of its API the typings leave out. */
interface PlanMetadata {
  nationalPrefix(): string | undefined;
  formats(): Array<{
    nationalPrefixFormattingRule(): unknown;
    nationalPrefixIsOptionalWhenFormattingInNationalFormat(): boolean;
  }>;
}

const plans = new Map<string, Plan>();
function planOf(region: string): Plan {
  let plan = plans.get(region);
  if (plan === undefined) {
    const metadata = new (phones().Metadata)();
    metadata.selectNumberingPlan(region as CountryCode);
    const numbering = metadata.numberingPlan as unknown as PlanMetadata;
    const trunk = numbering.nationalPrefix() ?? '';
    const formats = numbering.formats();
    const writesTrunk = (f: (typeof formats)[number]): boolean => {
      const rule = f.nationalPrefixFormattingRule();
      return (
        typeof rule === 'string' && rule.includes(trunk) && !f.nationalPrefixIsOptionalWhenFormattingInNationalFormat()
      );
    };
    const trunkLed = trunk !== '' && formats.length > 0 && formats.every(writesTrunk);
    plans.set(region, (plan = { trunk, trunkGroup: trunkLed ? new RegExp(`(?:^|\\D)${trunk}`) : null }));
  }
  return plan;
}

const isHexOrHyphen = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F-]/.test(c);

/** Whether [start, end) lies in a UUID or a hash (HEX_TOKEN hex digits and hyphens or more, a letter among them), looking HEX_TOKEN × 4 each way at most. */
function inHexToken(text: string, start: number, end: number): boolean {
  let from = start;
  let to = end;
  while (from > 0 && start - from < HEX_TOKEN * 4 && isHexOrHyphen(text[from - 1])) from--;
  while (to < text.length && to - end < HEX_TOKEN * 4 && isHexOrHyphen(text[to])) to++;
  return to - from >= HEX_TOKEN && /[a-fA-F]/.test(text.slice(from, to));
}

const isLetter = (c: string | undefined): boolean => c !== undefined && /\p{L}/u.test(c);
const isBoundary = (text: string, at: number): boolean => at === 0 || !/[\p{L}\p{N}]/u.test(text[at - 1] as string);

interface Stretch {
  from: number;
  to: number;
  /** Whether `from` is where a word or token starts. */
  bounded: boolean;
}

/**
 * Whether a cluster may hold a number: international (`+`, `00`, `011`), or in a region, one whose
 * national numbers all start with its trunk prefix when a group starts with it (a table of digits
 * without one is not handed to libphonenumber, whose cost is per candidate).
 */
function mayHoldNumber(cluster: string, region: string | null): boolean {
  if (INTERNATIONAL.test(cluster)) return true;
  if (region === null) return false;
  const { trunkGroup } = planOf(region);
  return trunkGroup === null || trunkGroup.test(cluster);
}

/** The stretches worth reading: around each cluster of MIN_DIGITS digits or more that may hold a number and is not a date or in a hash, merged. */
function stretches(text: string, region: string | null): Stretch[] {
  const out: Stretch[] = [];
  for (const m of text.matchAll(CLUSTER)) {
    if (
      m[0].replace(/\D/g, '').length < MIN_DIGITS ||
      !mayHoldNumber(m[0], region) ||
      DATE.test(m[0]) ||
      inHexToken(text, m.index, m.index + m[0].length)
    )
      continue;
    let from = Math.max(0, m.index - BEFORE);
    let word = from;
    while (word > 0 && from - word < MAX_WORD && isLetter(text[word - 1])) word--;
    if (isBoundary(text, word)) from = word;
    let to = Math.min(text.length, m.index + m[0].length + AFTER);
    const limit = to + MAX_WORD;
    while (to < text.length && to < limit && isLetter(text[to])) to++;
    const last = out[out.length - 1];
    if (last && from <= last.to) last.to = Math.max(last.to, to);
    else out.push({ from, to, bounded: isBoundary(text, from) });
  }
  return out;
}

/** A stretch as libphonenumber reads it: glued words apart, international prefixes as `+`, slashes between digits as spaces. */
function phoneView(stretch: View, bounded: boolean, nanp: boolean): View {
  const unglue = (m: string): string => (KEEP_GLUED.test(m) ? m : ' '.repeat(m.length));
  const before = rewrite(stretch, bounded ? GLUED_BEFORE : GLUED_BEFORE_INSIDE, unglue);
  const apart = rewrite(before, bounded ? GLUED_AFTER : GLUED_AFTER_INSIDE, unglue);
  return rewrite(
    rewrite(apart, nanp ? IDD_NANP : IDD, () => '+'),
    SLASH,
    () => ' ',
  );
}

/** libphonenumber over every stretch at once, each on a line of its own (a line break ends a number): each number with its stretch's view. */
function numbersIn(
  views: View[],
  region: string | null,
): Array<{ view: View; start: number; end: number; number: PhoneNumber }> {
  const starts: number[] = [];
  let length = 0;
  for (const v of views) (starts.push(length), (length += v.text.length + 1));
  const joined = views.map((v) => v.text).join('\n');
  const found =
    region === null
      ? phones().findPhoneNumbersInText(joined)
      : phones().findPhoneNumbersInText(joined, region as CountryCode);
  let k = 0;
  return found.map((m) => {
    while (k + 1 < starts.length && (starts[k + 1] as number) <= m.startsAt) k++;
    const at = starts[k] as number;
    return { view: views[k] as View, start: m.startsAt - at, end: m.endsAt - at, number: m.number };
  });
}

/** Where the groups of a written number end, in digits (the last excluded). */
function boundaries(written: string): number[] {
  const out: number[] = [];
  let digits = 0;
  for (const group of written.match(/\d+/g) ?? []) out.push((digits += group.length));
  return out.slice(0, -1);
}

/**
 * A national-form find counts when written as its region writes numbers: with the trunk prefix
 * (`030 901820`, in any grouping), or without one where the region's format has none (`(415)
 * 555-2671`), then grouped as that format groups it, or not at all.
 */
function writtenAsNational(written: string, number: PhoneNumber, region: string): boolean {
  const digits = written.replace(/\D/g, '');
  const { trunk } = planOf(region);
  if (trunk !== '' && digits.startsWith(trunk + number.nationalNumber)) return true;
  const national = number.formatNational();
  // A number the region has no format for is left bare by libphonenumber: not read without its trunk prefix.
  if (!/\D/.test(national) || !digits.startsWith(national.replace(/\D/g, ''))) return false;
  const formatted = new Set(boundaries(national));
  return boundaries(written).every((b) => formatted.has(b) || b >= national.replace(/\D/g, '').length);
}

export function findPhones(base: View, original: string, region: string | null): Finding[] {
  const found = stretches(base.text, region);
  if (found.length === 0) return [];
  const nanp = region === null || phones().getCountryCallingCode(region as CountryCode) === '1';
  const out: Finding[] = [];
  for (const { view, start: at, end, number } of numbersIn(
    found.map((s) => phoneView(slice(base, s.from, s.to), s.bounded, nanp)),
    region,
  )) {
    // libphonenumber takes a `(` before a number in, closed or not: `(+49 30 901820)`.
    const start = view.text[at] === '(' && !view.text.slice(at, end).includes(')') ? at + 1 : at;
    const written = view.text.slice(start, end);
    if (written.replace(/\D/g, '').length < MIN_DIGITS) continue;
    const international = /^\(?\+/.test(written);
    if (
      !international &&
      (region === null || NOT_A_NUMBER.test(written) || !writtenAsNational(written, number, region))
    )
      continue;
    const f = finding(view, original, 'phone', start, end);
    if (!DATE.test(f.text.trim())) out.push(f);
  }
  return out;
}
