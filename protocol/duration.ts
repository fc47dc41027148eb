/** Durations as people type them (`--older-than 7d`, a retention window), shared by the CLI and the daemon. */
import { AosError } from '../sys/errno.js';

/** Parse `7d`, `12h`, `30m`, `90s` (or a bare number of seconds) into milliseconds. */
export function parseDuration(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$/.exec(text);
  if (!match) throw new AosError('EINVAL', `${what} must be a duration like 90s, 30m, 12h, 7d or 2w (got "${text}")`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[(match[2] ?? 's') as 's'];
  return Math.round(Number(match[1]) * unit * 1000);
}
