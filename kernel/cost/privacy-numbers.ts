/**
 * IBANs and card numbers on the normalised view, in the spellings people use: any case, groups
 * apart by spaces, tabs, hyphens, dots, slashes or underscores (up to three between two
 * characters; an IBAN's also by a line break), glued to the words around them (`IBAN:DE89…`,
 * `ibande89…EUR`, `card4111…`). What makes a match mean something stays: an IBAN is cut to its
 * country's length (ibantools) and must pass its BBAN format and mod-97 checksum; a card number
 * needs a known issuer's prefix and length and the Luhn check, its digits either in one run or in
 * groups of three to six (the last may be shorter or longer), so a table of small numbers is not
 * one card.
 */
import { getCountrySpecifications, isValidIBAN } from 'ibantools';
import { finding, type Finding, type View } from './privacy-view.js';

/** Between an IBAN's characters; a line break too (an IBAN wrapped in a letter). */
const IBAN_SEPARATORS = ' \t./_-\n\r';
const MAX_SEPARATORS = 3;
const IBAN_HEAD = /[a-z]{2}[ \t./_-]{0,3}\d[ \t./_-]{0,3}\d/gi;
const IBAN_LENGTHS = new Map(
  Object.entries(getCountrySpecifications()).flatMap(([cc, spec]) => (spec.chars ? [[cc, spec.chars] as const] : [])),
);

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** The end of a valid IBAN starting at `at`, or -1: its country's length in characters, separators skipped. */
function ibanEnd(text: string, at: number): number {
  const length = IBAN_LENGTHS.get(text.slice(at, at + 2).toUpperCase());
  if (length === undefined) return -1;
  let compact = '';
  let end = at;
  let gap = 0;
  for (let i = at; i < text.length && compact.length < length; i++) {
    const c = text.charCodeAt(i);
    if (isAlnum(c)) {
      compact += text[i] as string;
      end = i + 1;
      gap = 0;
    } else if (!IBAN_SEPARATORS.includes(text[i] as string) || ++gap > MAX_SEPARATORS) break;
  }
  return compact.length === length && isValidIBAN(compact.toUpperCase()) ? end : -1;
}

export function findIbans(view: View, original: string): Finding[] {
  const out: Finding[] = [];
  const head = new RegExp(IBAN_HEAD.source, IBAN_HEAD.flags);
  for (let m = head.exec(view.text); m !== null; m = head.exec(view.text)) {
    const end = ibanEnd(view.text, m.index);
    if (end === -1) head.lastIndex = m.index + 1;
    else {
      out.push(finding(view, original, 'iban', m.index, end));
      head.lastIndex = end;
    }
  }
  return out;
}

/** Issuers by prefix, with the lengths their numbers have: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Mir, Maestro. */
const CARD_ISSUERS: ReadonlyArray<[RegExp, readonly number[]]> = [
  [/^4/, [13, 16, 19]],
  [/^(?:5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720))/, [16]],
  [/^3[47]/, [15]],
  [/^(?:6011|64[4-9]|65)/, [16, 17, 18, 19]],
  [/^35/, [16, 17, 18, 19]],
  [/^(?:30[0-5]|36|38)/, [14, 15, 16]],
  [/^62/, [16, 17, 18, 19]],
  [/^220[0-4]/, [16, 17, 18, 19]],
  [/^(?:5018|5020|5038|6304|67)/, [12, 13, 14, 15, 16, 17, 18, 19]],
];

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

function isCard(digits: string): boolean {
  return (
    luhn(digits) && CARD_ISSUERS.some(([prefix, lengths]) => prefix.test(digits) && lengths.includes(digits.length))
  );
}

/** Digits with up to MAX_SEPARATORS separators between any two. */
const DIGIT_RUN = /\d(?:[ \t./_-]{0,3}\d)*/g;
const GROUP = /\d+/g;

interface Group {
  start: number;
  digits: string;
}

/** The last group of a card number that starts at group `first`, or -1: groups inside a grouped number hold three to six digits. */
function cardFrom(groups: Group[], first: number): number {
  let digits = '';
  for (let h = first; h < groups.length; h++) {
    const inner = (groups[h - 1] as Group | undefined)?.digits.length ?? 3;
    if (h > first && (inner < 3 || inner > 6)) return -1;
    digits += (groups[h] as Group).digits;
    if (digits.length > 19) return -1;
    if (digits.length >= 12 && isCard(digits)) return h;
  }
  return -1;
}

export function findCards(view: View, original: string): Finding[] {
  const out: Finding[] = [];
  for (const run of view.text.matchAll(DIGIT_RUN)) {
    if (run[0].length < 12) continue;
    const groups = [...run[0].matchAll(GROUP)].map((g): Group => ({ start: run.index + g.index, digits: g[0] }));
    for (let g = 0; g < groups.length; g++) {
      const last = cardFrom(groups, g);
      if (last === -1) continue;
      const end = groups[last] as Group;
      out.push(finding(view, original, 'card', (groups[g] as Group).start, end.start + end.digits.length));
      g = last;
    }
  }
  return out;
}
