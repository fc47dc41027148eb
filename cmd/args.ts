/** Argument values checked where they are parsed: the message names the flag and what it got. */
import { CliError } from './fail.js';

export function toInt(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`${flag} must be an integer from ${min} to ${max} (got "${value}")`);
  }
  return n;
}

export function toPid(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new CliError(`pid must be a positive integer (got "${value}")`);
  return n;
}

export function toPositive(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new CliError(`${flag} must be a positive number (got "${value}")`);
  return n;
}
