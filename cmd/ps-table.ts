/** `aos ps`'s human table: fixed numeric columns, NAME and MODEL cut to fit the width. */
import type { ProcRow } from '../protocol/views.js';
import { describeStatus } from '../protocol/status.js';
import { formatCost, formatCount, formatDuration } from './top/format.js';

/** Two spaces after text columns; numbers sit right-aligned under wider titles, so one will do. */
function gapBefore(column: Column): string {
  return column.right ? ' ' : '  ';
}

interface Column {
  title: string;
  right: boolean;
  /** NAME and MODEL shrink (down to `min`) so the table fits. */
  min?: number;
  cut?: 'end' | 'middle';
  /** Gives way only once the other flexible columns are at their minimum. */
  last?: boolean;
  /** Shown only when the table fits without cutting anything. */
  optional?: boolean;
  value(row: ProcRow, now: number): string;
}

const COLUMNS: readonly Column[] = [
  { title: 'PID', right: true, value: (r) => String(r.pid) },
  { title: 'PPID', right: true, value: (r) => (r.ppid ? String(r.ppid) : '-') },
  { title: 'NAME', right: false, min: 6, cut: 'end', value: (r) => r.name },
  { title: 'STATE', right: false, min: 9, last: true, cut: 'end', value: (r) => describeStatus(r) },
  { title: 'MODEL', right: false, min: 14, cut: 'middle', value: (r) => r.model },
  { title: 'TURNS', right: true, value: (r) => formatCount(r.turns) },
  { title: 'SYSCALLS', right: true, value: (r) => formatCount(r.syscalls) },
  { title: 'TOKENS', right: true, value: (r) => formatCount(r.tokens) },
  { title: 'COST', right: true, value: (r) => (r.cost ? formatCost(r.cost) : '-') },
  // Run time: creation to the end (or to now).
  { title: 'TIME', right: true, optional: true, value: (r, now) => formatDuration(((r.ended_at ?? now) - r.created_at) / 1000) },
  // Since creation while live; since the end once ended (docker's "Exited (0) 3 minutes ago").
  { title: 'AGE', right: true, value: (r, now) => (r.ended_at === null ? formatDuration((now - r.created_at) / 1000) : `${formatDuration((now - r.ended_at) / 1000)} ago`) },
];

/** Keep both ends of a long value: `replay:/tmp/x/tape.yaml` → `replay:…/tape.yaml`. */
function cut(text: string, width: number, where: 'end' | 'middle'): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  if (where === 'end') return `${text.slice(0, width - 1)}…`;
  // Keep the provider (`replay:`) whole when it leaves room for the end of the name.
  const provider = text.indexOf(':') + 1;
  const head = provider > 0 && provider <= width - 6 ? provider : Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

function widestFlexible(columns: readonly Column[], width: readonly number[], last: boolean): number | undefined {
  let widest: number | undefined;
  columns.forEach((c, i) => {
    const w = width[i] as number;
    if (c.min !== undefined && (c.last ?? false) === last && w > c.min && (widest === undefined || w > (width[widest] as number))) widest = i;
  });
  return widest;
}

/** Widths that fit `total` columns: the flexible ones give way, the widest first. */
function widths(columns: readonly Column[], cells: string[][], total: number): { widths: number[]; over: number } {
  const natural = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => (row[i] as string).length)));
  const out = [...natural];
  const gaps = columns.slice(1).reduce((n, c) => n + gapBefore(c).length, 0);
  const over = out.reduce((a, b) => a + b, 0) + gaps - total;
  for (let left = over; left > 0; left--) {
    const widest = widestFlexible(columns, out, false) ?? widestFlexible(columns, out, true);
    if (widest === undefined) break;
    out[widest] = (out[widest] as number) - 1;
  }
  return { widths: out, over };
}

function table(columns: readonly Column[], rows: readonly ProcRow[], total: number, now: number): { text: string; over: number } {
  const cells = rows.map((row) => columns.map((c) => c.value(row, now)));
  const { widths: w, over } = widths(columns, cells, total);
  const line = (values: readonly string[]): string =>
    columns
      .map((c, i) => {
        const width = w[i] as number;
        const text = cut(values[i] as string, width, c.cut ?? 'end');
        return `${i === 0 ? '' : gapBefore(c)}${c.right ? text.padStart(width) : text.padEnd(width)}`;
      })
      .join('')
      .trimEnd();
  return { text: [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n'), over };
}

/** The table cut to `total` columns (Infinity: nothing is cut); optional columns go first. */
export function formatPsTable(rows: readonly ProcRow[], total: number, now = Date.now()): string {
  const full = table(COLUMNS, rows, total, now);
  return full.over <= 0 ? full.text : table(COLUMNS.filter((c) => !c.optional), rows, total, now).text;
}
