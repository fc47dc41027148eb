/**
 * Personal data in text, found with the checks that make a match mean something: an email address
 * by its shape and an IDNA-valid domain (privacy-email.ts); a phone number by libphonenumber (a real
 * number plan, not any run of digits: privacy-phone.ts); an IBAN by its country's length and its
 * mod-97 checksum (ibantools) and a card number by a known issuer prefix and the Luhn check
 * (privacy-numbers.ts); an API key by the shapes of the common providers' keys (privacy-keys.ts);
 * and the policy's own kinds by their regular expressions. Every kind reads a normalised copy of
 * the text (privacy-view.ts: Unicode spaces, dashes, digits and fullwidth forms as ASCII, invisible
 * characters gone) and names the original's offsets and spelling. What it misses is in
 * docs/policy.md ("What detection finds, and what it misses"). Overlapping finds keep the first
 * kind's (an IBAN's digits are not also a phone number).
 */
import { BoundedMap } from '../../sys/bounded-map.js';
import { findEmails } from './privacy-email.js';
import { findKeys } from './privacy-keys.js';
import { findCards, findIbans } from './privacy-numbers.js';
import { findPhones } from './privacy-phone.js';
import type { PrivacyPolicy } from './privacy-spec.js';
import { finding, identity, normalised, type Finding, type View } from './privacy-view.js';

export type { Finding } from './privacy-view.js';

function matches(view: View, original: string, regex: RegExp, kind: string): Finding[] {
  const out: Finding[] = [];
  for (const m of view.text.matchAll(
    new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`),
  )) {
    if (m[0] !== '') out.push(finding(view, original, kind, m.index, m.index + m[0].length));
  }
  return out;
}

/** Finds sorted by start, each overlapping none kept before it (`all` is in precedence order). */
function withoutOverlaps(all: Finding[]): Finding[] {
  const kept: Finding[] = [];
  for (const f of all) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((kept[mid] as Finding).start < f.start) lo = mid + 1;
      else hi = mid;
    }
    const before = kept[lo - 1];
    const after = kept[lo];
    if ((before && before.end > f.start) || (after && after.start < f.end)) continue;
    kept.splice(lo, 0, f);
  }
  return kept;
}

/** Every kind the policy detects in `text`, by position, overlaps dropped. */
export function detect(text: string, policy: PrivacyPolicy): Finding[] {
  const view = normalised(text);
  const on = (kind: string): boolean => policy.detect.has(kind);
  // The order is the precedence among overlapping finds: a key, an IBAN, a card, then the rest.
  const all: Finding[] = [];
  if (on('api_key')) all.push(...findKeys(view, text));
  if (on('iban')) all.push(...findIbans(view, text));
  if (on('card')) all.push(...findCards(view, text));
  if (on('email')) all.push(...findEmails(view, text));
  if (on('phone')) all.push(...findPhones(view, text, policy.phoneRegion));
  // The policy's own kinds, on the text as written and on the normalised view.
  for (const { kind, regex } of policy.patterns) {
    all.push(...matches(identity(text), text, regex, kind));
    if (view.text !== text) all.push(...matches(view, text, regex, kind));
  }
  return withoutOverlaps(all);
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
