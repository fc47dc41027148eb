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
  if (key.length > param.threadKeyMaxChars) return `a thread key is at most ${param.threadKeyMaxChars} characters (got ${key.length})`;
  if (!THREAD_KEY_PATTERN.test(key)) {
    return `thread key "${printable(key)}" may hold only lower-case letters, digits and : . _ - / @ +, starting with a letter or digit (e.g. client:acme)`;
  }
  if (key.includes('..') || /[:/]{2}/.test(key) || /[:/.]$/.test(key)) return `thread key "${key}" has an empty segment, a "..", or ends in a separator`;
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
    throw new AosError('EINVAL', `thread prefix "${printable(prefix)}" is not the start of a thread key (lower-case letters, digits and : . _ - / @ +)`);
  }
  return prefix;
}

function printable(text: string): string {
  return JSON.stringify(text.slice(0, 80)).slice(1, -1);
}
