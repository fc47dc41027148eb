/** `aos ps --filter state=blocked,name=web*`: every condition must hold; values may use * and ?; a key may repeat (either value). */
import type { ProcRow } from '../protocol/views.js';
import { CliError } from './fail.js';

const KEYS = ['state', 'name', 'model', 'ppid', 'pid', 'role'] as const;
type Key = (typeof KEYS)[number];

export type Filter = Map<Key, RegExp[]>;

function glob(value: string): RegExp {
  const escaped = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** Parse `--filter` values (each `key=value[,key=value…]`). */
export function parseFilter(specs: readonly string[]): Filter {
  const filter: Filter = new Map();
  for (const part of specs.flatMap((s) => s.split(',')).filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim() as Key;
    if (eq <= 0 || !KEYS.includes(key)) throw new CliError(`--filter takes key=value with a key of ${KEYS.join(', ')} (got "${part}")`);
    filter.set(key, [...(filter.get(key) ?? []), glob(part.slice(eq + 1).trim())]);
  }
  return filter;
}

export function matches(row: ProcRow, filter: Filter): boolean {
  for (const [key, patterns] of filter) {
    const value = String(row[key]);
    if (!patterns.some((p) => p.test(value))) return false;
  }
  return true;
}
