/**
 * `aos ps --filter state=blocked,name=web*`: every condition must hold; values may use * and ?; a
 * key may repeat (either value). `unit=NAME` is a unit's runs: the caller finds their pids (`runsOf`).
 */
import type { ProcRow } from '../protocol/views.js';
import { CliError } from './fail.js';

const KEYS = ['state', 'name', 'model', 'ppid', 'pid', 'role', 'unit'] as const;
type Key = (typeof KEYS)[number];

export type Filter = Map<Key, RegExp[]>;

function glob(value: string): RegExp {
  const escaped = value
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** Parse `--filter` values (each `key=value[,key=value…]`). */
export function parseFilter(specs: readonly string[]): Filter {
  const filter: Filter = new Map();
  for (const part of specs.flatMap((s) => s.split(',')).filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim() as Key;
    if (eq <= 0 || !KEYS.includes(key))
      throw new CliError(`--filter takes key=value with a key of ${KEYS.join(', ')} (got "${part}")`);
    filter.set(key, [...(filter.get(key) ?? []), glob(part.slice(eq + 1).trim())]);
  }
  return filter;
}

/** Whether a row holds every condition; `unitPids`: the pids of the runs of the units `unit=` names. */
export function matches(row: ProcRow, filter: Filter, unitPids?: ReadonlySet<number>): boolean {
  for (const [key, patterns] of filter) {
    if (key === 'unit') {
      if (!unitPids?.has(row.pid)) return false;
      continue;
    }
    const value = String(row[key]);
    if (!patterns.some((p) => p.test(value))) return false;
  }
  return true;
}

/** The units `unit=` names (globs) among `names`; none is an error naming the units there are. */
export function unitsNamed(filter: Filter, names: readonly string[]): string[] {
  const patterns = filter.get('unit') ?? [];
  const named = names.filter((n) => patterns.some((p) => p.test(n)));
  if (named.length === 0)
    throw new CliError(
      `--filter unit=: no unit matches (${names.length ? `there are: ${names.join(', ')}` : 'there are no units'})`,
    );
  return named;
}
