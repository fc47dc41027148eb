/** What the table shows: the reducer's rows filtered, enriched with live figures, and sorted. */
import { isEnded, PROC_STATES } from '../../sys/types.js';
import type { ProcRow } from '../../protocol/views.js';
import { tokenRate, type TopState } from './reducer.js';
import { filterRows, treeOrder } from './tree.js';
import type { ViewRow } from './view-row.js';

export const SORT_KEYS = ['pid', 'tokens', 'tok/s', 'cost', 'state', 'age'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export type { ViewRow } from './view-row.js';

export function nextSort(sort: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(sort) + 1) % SORT_KEYS.length] ?? 'pid';
}

const STATE_ORDER = new Map(PROC_STATES.map((s, i) => [s, i] as const));

const COMPARE: Record<SortKey, (a: ViewRow, b: ViewRow) => number> = {
  pid: (a, b) => a.pid - b.pid,
  tokens: (a, b) => b.tokens - a.tokens,
  'tok/s': (a, b) => b.rate - a.rate,
  cost: (a, b) => b.cost - a.cost,
  state: (a, b) => (STATE_ORDER.get(a.state) ?? 0) - (STATE_ORDER.get(b.state) ?? 0),
  age: (a, b) => b.age - a.age,
};

/** Ages tick between kernel pushes: since creation while live, since the end once ended (as `ps` shows AGE). */
export function ageSeconds(row: ProcRow, now: number): number {
  return Math.max(0, (now - (row.ended_at ?? row.created_at)) / 1000);
}

export function visibleRows(
  state: TopState,
  options: { sort: SortKey; all: boolean; now: number; tree?: boolean; filter?: string },
): ViewRow[] {
  const out: ViewRow[] = [];
  for (const row of state.rows.values()) {
    if (!options.all && isEnded(row.state)) continue;
    // Only a process that may be inferring has a rate: a blocked one's last turn is not its speed now.
    const rate = row.state === 'running' || row.state === 'ready' ? tokenRate(state, row.pid, options.now) : 0;
    out.push({ ...row, rate, age: ageSeconds(row, options.now) });
  }
  const compare = COMPARE[options.sort];
  const sorted = filterRows(out, options.filter ?? '').sort((a, b) => compare(a, b) || a.pid - b.pid);
  return options.tree ? treeOrder(sorted) : sorted;
}
