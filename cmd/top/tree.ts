/** `aos top`'s tree view and `/` filter: pure functions over the rows the table would show. */
import { describeStatus } from '../../protocol/status.js';
import type { ViewRow } from './view-row.js';

/** Children under their parent, depth-first, each level in the order given; orphans (parent hidden) at the top level. */
export function treeOrder(rows: readonly ViewRow[]): ViewRow[] {
  const shown = new Set(rows.map((r) => r.pid));
  const children = new Map<number, ViewRow[]>();
  for (const row of rows) {
    const parent = shown.has(row.ppid) ? row.ppid : 0;
    children.set(parent, [...(children.get(parent) ?? []), row]);
  }
  const out: ViewRow[] = [];
  const visit = (parent: number, depth: number): void => {
    for (const row of children.get(parent) ?? []) {
      out.push({ ...row, depth });
      visit(row.pid, depth + 1);
    }
  };
  visit(0, 0);
  return out;
}

/** The NAME cell: indented under its parent in the tree view. */
export function treeName(row: ViewRow): string {
  const depth = row.depth ?? 0;
  return depth === 0 ? row.name : `${'  '.repeat(depth - 1)}└ ${row.name}`;
}

/** Rows whose pid, name, model or status contains the text (case-insensitive). */
export function filterRows(rows: readonly ViewRow[], text: string): ViewRow[] {
  const needle = text.toLowerCase();
  if (!needle) return [...rows];
  return rows.filter((r) =>
    [String(r.pid), r.name, r.model, describeStatus(r)].some((field) => field.toLowerCase().includes(needle)),
  );
}
