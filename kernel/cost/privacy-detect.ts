/**
 * Personal data in text, found with the checks that make a match mean something: an email address
 * by its shape; a phone number by libphonenumber (a real number plan, not any run of digits); an
 * IBAN by its country's length and its mod-97 checksum (ibantools); a card number by a known
 * issuer prefix and the Luhn check; an API key by the shapes of the common providers' keys; and the
 * policy's own kinds by their regular expressions. What it misses is in the README ("Personal data").
 * Overlapping finds keep the first kind's (an IBAN's digits are not also a phone number).
 */
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js';
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { BoundedMap } from '../../sys/bounded-map.js';
import type { PrivacyPolicy } from './privacy-spec.js';

export interface Finding {
  kind: string;
  start: number;
  end: number;
  text: string;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
/** Issuers by prefix, with the lengths their numbers have: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro. */
const CARD_ISSUERS: ReadonlyArray<[RegExp, readonly number[]]> = [
  [/^4/, [13, 16, 19]],
  [/^(?:5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720))/, [16]],
  [/^3[47]/, [15]],
  [/^(?:6011|64[4-9]|65)/, [16, 17, 18, 19]],
  [/^35/, [16, 17, 18, 19]],
  [/^(?:30[0-5]|36|38)/, [14, 15, 16]],
  [/^62/, [16, 17, 18, 19]],
  [/^(?:5018|5020|5038|6304|67)/, [12, 13, 14, 15, 16, 17, 18, 19]],
];

function isCard(match: string): boolean {
  const digits = match.replace(/[ -]/g, '');
  return CARD_ISSUERS.some(([prefix, lengths]) => prefix.test(digits) && lengths.includes(digits.length)) && luhn(digits);
}
const API_KEYS: readonly RegExp[] = [
  /\bsk-(?:proj-|ant-(?:api\d+-)?)?[A-Za-z0-9_-]{20,}\b/g, // OpenAI, Anthropic
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API key
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b/g, // GitHub
  /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20}\b/g, // GitLab
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, // Slack
  /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g, // Stripe
  /\b\d{8,10}:[A-Za-z0-9_-]{35}\b/g, // Telegram bot token
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

function matches(text: string, regex: RegExp, kind: string, keep: (match: string) => boolean = () => true): Finding[] {
  const out: Finding[] = [];
  for (const m of text.matchAll(new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`))) {
    if (m[0] !== '' && keep(m[0])) out.push({ kind, start: m.index, end: m.index + m[0].length, text: m[0] });
  }
  return out;
}

function phones(text: string, region: string | null): Finding[] {
  // Digits and a plus somewhere are needed for a number at all: most texts are skipped at once.
  if (!/\d{3}/.test(text)) return [];
  const found = region === null ? findPhoneNumbersInText(text) : findPhoneNumbersInText(text, region as CountryCode);
  return found.map((m) => ({ kind: 'phone', start: m.startsAt, end: m.endsAt, text: text.slice(m.startsAt, m.endsAt) }));
}

/** Every kind the policy detects in `text`, by position, overlaps dropped. */
export function detect(text: string, policy: PrivacyPolicy): Finding[] {
  const all: Finding[] = [];
  const on = (kind: string): boolean => policy.detect.has(kind);
  if (on('api_key')) for (const regex of API_KEYS) all.push(...matches(text, regex, 'api_key'));
  if (on('iban')) all.push(...matches(text, IBAN, 'iban', (m) => isValidIBAN(electronicFormatIBAN(m) ?? '')));
  if (on('card')) all.push(...matches(text, CARD, 'card', isCard));
  if (on('email')) all.push(...matches(text, EMAIL, 'email'));
  if (on('phone')) all.push(...phones(text, policy.phoneRegion));
  for (const { kind, regex } of policy.patterns) all.push(...matches(text, regex, kind));
  // The order above is the precedence among overlapping finds: a key, an IBAN, a card, then the rest.
  const kept: Finding[] = [];
  for (const f of all) if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  return kept.sort((a, b) => a.start - b.start);
}

/** Finds by text, per policy, for the texts every turn sends again (a context's earlier messages): each is read once. */
const seen = new WeakMap<PrivacyPolicy, BoundedMap<string, Finding[]>>();
/** Texts longer than this are read each time rather than kept as keys (a cache must not hold large texts alive). */
const CACHED_MAX_CHARS = 64 * 1024;

export function detectCached(text: string, policy: PrivacyPolicy): Finding[] {
  if (text.length < 6) return [];
  if (text.length > CACHED_MAX_CHARS) return detect(text, policy);
  let cache = seen.get(policy);
  if (!cache) seen.set(policy, (cache = new BoundedMap(1_024)));
  let found = cache.get(text);
  if (found === undefined) {
    found = detect(text, policy);
    cache.set(text, found);
  }
  return found;
}
