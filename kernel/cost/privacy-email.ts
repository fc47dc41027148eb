/**
 * Email addresses, read outward from each `@` of the normalised view (fullwidth ＠ and small ﹫
 * are `@` there), so a long token without one costs nothing: a local part of letters of any
 * script, digits and `._%+-'`, and a domain of labels of any script ending in a top-level domain
 * of letters (or an `xn--` one) that IDNA accepts (`ada@bücher.de` is `ada@xn--bcher-kva.de`), or
 * an IP literal. Bracketed spellings of `@` and `.` are read too (`ada [at] example (dot) org`),
 * `@` encoded for a URL or HTML (`%40`, `&#64;`, `&commat;`), and the ideographic full stops 。 and
 * ｡ as dots. Case does not matter to any of it.
 */
import { domainToASCII } from 'node:url';
import { finding, rewrite, type Finding, type View } from './privacy-view.js';

/** Bounded runs of spaces: a long run of them must not be read again from each of its positions. */
const SPELLED = /\s{0,3}[[({<]\s{0,3}(?:at|dot)\s{0,3}[\])}>]\s{0,3}|[\u3002\uFF61]|%40|&#0*64;|&#x0*40;|&commat;/giu;
const SPELLED_AT = /[[({<]\s{0,3}at\s{0,3}[\])}>]|%40|&#0*64;|&#x0*40;|&commat;/i;
const LOCAL_CHAR = /[\p{L}\p{M}\p{N}._%+'-]/u;
const MAX_LOCAL = 64;
const DOMAIN =
  /(?:[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?\.)+(?:xn--[a-z0-9-]{2,59}|[\p{L}\p{M}]{2,63})(?![\p{L}\p{M}\p{N}-])|\[(?:\d{1,3}\.){3}\d{1,3}\]/iuy;
const ASCII_TLD = /\.(?:xn--[a-z0-9-]+|[a-z]{2,63})$/i;

function emailView(base: View): View {
  return rewrite(base, SPELLED, (m) => (m.length === 1 || /dot/i.test(m) ? '.' : '@'));
}

/** Where the local part before the `@` at `at` starts, or -1 when there is none. */
function localStart(text: string, at: number): number {
  let start = at;
  while (start > 0 && at - start < MAX_LOCAL && LOCAL_CHAR.test(text[start - 1] as string)) start--;
  while (start < at && (text[start] === '.' || text[start] === "'")) start++;
  return start < at ? start : -1;
}

function validDomain(domain: string): boolean {
  if (domain.startsWith('[')) return true;
  const ascii = domainToASCII(domain);
  return ascii !== '' && ASCII_TLD.test(ascii);
}

export function findEmails(base: View, original: string): Finding[] {
  if (!base.text.includes('@') && !SPELLED_AT.test(base.text)) return [];
  const view = emailView(base);
  const { text } = view;
  const out: Finding[] = [];
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    const start = localStart(text, at);
    if (start === -1) continue;
    DOMAIN.lastIndex = at + 1;
    const domain = DOMAIN.exec(text);
    if (domain === null || !validDomain(domain[0])) continue;
    out.push(finding(view, original, 'email', start, at + 1 + domain[0].length));
    at += domain[0].length;
  }
  return out;
}
