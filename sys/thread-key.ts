/**
 * A context thread's key: `client:acme`, `invoice:2026-117`, `project:aos/issue-33`. One spelling
 * per thread, so a capability (`thread:client:*`) names exactly the threads it means: lower-case
 * ASCII letters and digits and `: . _ - / @ +`, starting with a letter or digit, no `..`, no empty
 * segment, no trailing separator. Anything else is refused, never folded into another key.
 */
import { AosError } from './errno.js';
import { param } from './param.js';

export const THREAD_KEY_PATTERN = /^[a-z0-9][a-z0-9:._\-/@+]*$/;

/** Why `key` is not a thread key, or null when it is one. */
export function threadKeyProblem(key: string): string | null {
  if (key.length === 0) return 'a thread key is empty';
  if (key.length > param.threadKeyMaxChars)
    return `a thread key is at most ${param.threadKeyMaxChars} characters (got ${key.length})`;
  if (!THREAD_KEY_PATTERN.test(key)) {
    return `thread key "${printable(key)}" may hold only lower-case letters, digits and : . _ - / @ +, starting with a letter or digit (e.g. client:acme)`;
  }
  if (key.includes('..') || /[:/]{2}/.test(key) || /[:/.]$/.test(key))
    return `thread key "${key}" has an empty segment, a "..", or ends in a separator`;
  return null;
}

/** The key, or EINVAL saying what is wrong with it. */
export function checkThreadKey(key: string): string {
  const problem = threadKeyProblem(key);
  if (problem) throw new AosError('EINVAL', problem);
  return key;
}

/** A prefix for THREAD_LIST or `aos thread ls`: a key's first characters (it may end in a separator). */
export function checkThreadPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  if (prefix.length > param.threadKeyMaxChars || !THREAD_KEY_PATTERN.test(prefix) || prefix.includes('..')) {
    throw new AosError(
      'EINVAL',
      `thread prefix "${printable(prefix)}" is not the start of a thread key (lower-case letters, digits and : . _ - / @ +)`,
    );
  }
  return prefix;
}

function printable(text: string): string {
  return JSON.stringify(text.slice(0, 80)).slice(1, -1);
}

/**
 * A platform id as one segment of a thread key, one way only (two ids never share a key): lower-case
 * ASCII letters, digits, `_` and `-` kept; an upper-case letter written `@` and its lower case
 * (Slack's `C0ABC` is `@c0@a@b@c`); any other character `+`, its code in hex and `_` — so an id
 * fills one segment under the template's, never a separator of its own, and never another id's.
 * Also how a chat is named in a channel capability's subject (sys/capabilities.ts channelRegex).
 */
export function keySegment(id: string): string {
  let out = '';
  for (const ch of id) {
    if (/[a-z0-9_-]/.test(ch)) out += ch;
    else if (/[A-Z]/.test(ch)) out += `@${ch.toLowerCase()}`;
    else out += `+${(ch.codePointAt(0) ?? 0).toString(16)}_`;
  }
  return out === '' ? '+_' : out;
}
