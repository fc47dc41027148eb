/** `aos ps`'s human table: fixed numeric columns, NAME and MODEL cut to fit the width. */
import type { ProcRow } from '../kernel/wire/views.js';
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
  value(row: ProcRow): string;
}

const COLUMNS: readonly Column[] = [
  { title: 'PID', right: true, value: (r) => String(r.pid) },
  { title: 'PPID', right: true, value: (r) => (r.ppid ? String(r.ppid) : '-') },
  { title: 'NAME', right: false, min: 6, cut: 'end', value: (r) => r.name },
  { title: 'STATE', right: false, value: (r) => r.state },
  { title: 'MODEL', right: false, min: 10, cut: 'middle', value: (r) => r.model },
  { title: 'TURNS', right: true, value: (r) => formatCount(r.turns) },
  { title: 'SYSCALLS', right: true, value: (r) => formatCount(r.syscalls) },
  { title: 'TOKENS', right: true, value: (r) => formatCount(r.tokens) },
  { title: 'COST', right: true, value: (r) => (r.cost ? formatCost(r.cost) : '-') },
  { title: 'AGE', right: true, value: (r) => formatDuration(r.age_s) },
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

/** Widths that fit `total` columns: the flexible ones give way, the widest first. */
function widths(cells: string[][], total: number): number[] {
  const natural = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((row) => (row[i] as string).length)));
  const out = [...natural];
  const gaps = COLUMNS.slice(1).reduce((n, c) => n + gapBefore(c).length, 0);
  let over = out.reduce((a, b) => a + b, 0) + gaps - total;
  while (over > 0) {
    let widest = -1;
    COLUMNS.forEach((c, i) => {
      if (c.min !== undefined && (out[i] as number) > c.min && (widest < 0 || (out[i] as number) > (out[widest] as number))) widest = i;
    });
    if (widest < 0) break;
    out[widest] = (out[widest] as number) - 1;
    over--;
  }
  return out;
}

export function formatPsTable(rows: readonly ProcRow[], total: number): string {
  const cells = rows.map((row) => COLUMNS.map((c) => c.value(row)));
  const w = widths(cells, total);
  const line = (values: readonly string[]): string =>
    COLUMNS.map((c, i) => {
      const width = w[i] as number;
      const text = cut(values[i] as string, width, c.cut ?? 'end');
      return `${i === 0 ? '' : gapBefore(c)}${c.right ? text.padStart(width) : text.padEnd(width)}`;
    })
      .join('')
      .trimEnd();
  return [line(COLUMNS.map((c) => c.title)), ...cells.map(line)].join('\n');
}
