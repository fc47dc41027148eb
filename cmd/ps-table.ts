/**
 * `aos ps`'s human table: fixed numeric columns; when the width is short TIME goes, MODEL gives
 * way, then SYSCALLS, PPID and TURNS go (`-o wide` shows them) rather than cut a name, then NAME (cut in the middle, so `worker-a` and `worker-b` stay
 * apart), STATE last — it carries the reason. Widths are display widths (a CJK name takes two
 * columns a character).
 */
import type { ProcRow } from '../protocol/views.js';
import { describeStatus } from '../protocol/status.js';
import { cutEnd, cutMiddle, displayWidth, pad } from './text-width.js';
import { formatCost, formatCount, formatDuration, modelOfRow } from './top/format.js';
import { isLadder } from '../sys/ladder.js';

/** Two spaces after text columns; numbers sit right-aligned under wider titles, so one will do. */
function gapBefore(column: Column): string {
  return column.right ? ' ' : '  ';
}

export interface Column {
  title: string;
  right: boolean;
  /** MODEL, NAME and STATE shrink (down to `min`) so the table fits, the lowest `give` first. */
  min?: number;
  give?: number;
  /** How far it gives way before optional columns are dropped for it (a long NAME is cut to this first). */
  soft?: number;
  cut?: 'end' | 'middle';
  /** Dropped, the lowest first, before anything is cut. */
  optional?: number;
  value(row: ProcRow, now: number): string;
}

export const COLUMNS: readonly Column[] = [
  { title: 'PID', right: true, value: (r) => String(r.pid) },
  { title: 'PPID', right: true, optional: 3, value: (r) => (r.ppid ? String(r.ppid) : '-') },
  { title: 'NAME', right: false, min: 8, soft: 16, give: 2, cut: 'middle', value: (r) => r.name },
  { title: 'STATE', right: false, min: 12, soft: Infinity, give: 3, cut: 'end', value: (r) => describeStatus(r) },
  {
    title: 'MODEL',
    right: false,
    min: 10,
    give: 1,
    cut: 'middle',
    value: (r) => (isLadder(r.model) ? `ladder ${modelOfRow(r)}` : r.model),
  },
  { title: 'TURNS', right: true, optional: 4, value: (r) => formatCount(r.turns) },
  { title: 'SYSCALLS', right: true, optional: 2, value: (r) => formatCount(r.syscalls) },
  { title: 'TOKENS', right: true, value: (r) => formatCount(r.tokens) },
  { title: 'COST', right: true, value: (r) => (r.cost ? formatCost(r.cost) : '-') },
  // Run time: creation to the end (or to now).
  {
    title: 'TIME',
    right: true,
    optional: 1,
    value: (r, now) => formatDuration(((r.ended_at ?? now) - r.created_at) / 1000),
  },
  // Since creation while live; since the end once ended (docker's "Exited (0) 3 minutes ago").
  {
    title: 'AGE',
    right: true,
    value: (r, now) =>
      r.ended_at === null
        ? formatDuration((now - r.created_at) / 1000)
        : `${formatDuration((now - r.ended_at) / 1000)} ago`,
  },
];

/** Cut a cell to `width` columns; MODEL keeps its provider (`replay:…/tape.yaml`). */
function cut(text: string, width: number, where: 'end' | 'middle'): string {
  if (where === 'end') return cutEnd(text, width);
  const provider = text.indexOf(':') + 1;
  return cutMiddle(text, width, provider > 0 ? provider : undefined);
}

/** Widths that fit `total` columns: the flexible ones give way, the lowest `give` first, each down to its minimum. */
function widths(
  columns: readonly Column[],
  cells: string[][],
  total: number,
): { widths: number[]; over: number; overNames: number } {
  const natural = columns.map((c, i) =>
    Math.max(displayWidth(c.title), ...cells.map((row) => displayWidth(row[i] as string))),
  );
  const out = [...natural];
  const gaps = columns.slice(1).reduce((n, c) => n + gapBefore(c).length, 0);
  const over = out.reduce((a, b) => a + b, 0) + gaps - total;
  const order = columns
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.min !== undefined)
    .sort((a, b) => (a.c.give ?? 0) - (b.c.give ?? 0));
  let left = over;
  const shrink = (to: (c: Column) => number): void => {
    for (const { c, i } of order) {
      if (left <= 0) return;
      const take = Math.min(Math.max(0, (out[i] as number) - to(c)), left);
      out[i] = (out[i] as number) - take;
      left -= take;
    }
  };
  // First MODEL to its minimum and a long NAME to `soft`; what is still over then would cut deeper.
  shrink((c) => c.soft ?? c.min ?? 0);
  const overNames = left;
  shrink((c) => c.min ?? 0);
  return { widths: out, over, overNames };
}

function table(
  columns: readonly Column[],
  rows: readonly ProcRow[],
  total: number,
  now: number,
): { text: string; over: number; overNames: number } {
  const cells = rows.map((row) => columns.map((c) => c.value(row, now)));
  const { widths: w, over, overNames } = widths(columns, cells, total);
  const line = (values: readonly string[]): string =>
    columns
      .map((c, i) => {
        const width = w[i] as number;
        const text = cut(values[i] as string, width, c.cut ?? 'end');
        return `${i === 0 ? '' : gapBefore(c)}${pad(text, width, c.right)}`;
      })
      .join('')
      .trimEnd();
  return { text: [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n'), over, overNames };
}

/**
 * The table cut to `total` columns (Infinity: nothing is cut, every column shown). The optional
 * columns go first, one at a time, while that saves cutting; `columns` picks others (`--format`).
 */
/** In a cluster, which node has the process (`aos ps` lists every node's). */
const NODE: Column = { title: 'NODE', right: false, min: 4, give: 0, cut: 'end', value: (r) => r.node ?? '' };

export function formatPsTable(
  rows: readonly ProcRow[],
  total: number,
  now = Date.now(),
  columns: readonly Column[] = COLUMNS,
): string {
  const clustered = columns === COLUMNS && rows.some((r) => r.node !== undefined);
  let shown = clustered ? [...columns.slice(0, 1), NODE, ...columns.slice(1)] : [...columns];
  let result = table(shown, rows, total, now);
  const droppable = shown.filter((c) => c.optional !== undefined).sort((a, b) => (a.optional ?? 0) - (b.optional ?? 0));
  for (const column of droppable) {
    // TIME (optional 1) shows only when nothing is cut; the others go only to keep NAME and STATE whole.
    const cut = column.optional === 1 ? result.over : result.overNames;
    if (cut <= 0) continue;
    shown = shown.filter((c) => c !== column);
    result = table(shown, rows, total, now);
  }
  return result.text;
}
