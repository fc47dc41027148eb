/** The process table's columns, and which of them fit a given width (htop-style: drop, then flex). */
import { fit, formatAgo, formatCost, formatCount, formatDuration, formatRate, modelOfRow } from './format.js';
import type { ViewRow } from './rows.js';
import { treeName } from './tree.js';
import { describeStatus } from '../../protocol/status.js';

export interface Column {
  key: string;
  title: string;
  width: number;
  align: 'left' | 'right';
  /** Lower is kept longer when the terminal is narrow. */
  keep: number;
  /** Flexible columns shrink to `min` on tiny screens, the lowest `give` first, and share spare width up to `max`. */
  min?: number;
  max?: number;
  give?: number;
  /** Where a long value is cut: NAME in the middle (`worker-a`, `worker-b` stay apart). */
  cut?: 'end' | 'middle';
  /** A longer title used when there is room for it. */
  wide?: { title: string; width: number };
  value(row: ViewRow): string;
}

export const COLUMNS: readonly Column[] = [
  { key: 'pid', title: 'PID', width: 5, align: 'right', keep: 0, value: (r) => String(r.pid) },
  // Shown in a cluster only (layoutColumns): the node whose store holds the process, as in `ps`.
  {
    key: 'node',
    title: 'NODE',
    width: 4,
    min: 4,
    max: 12,
    give: 0,
    cut: 'middle',
    align: 'left',
    keep: 3,
    value: (r) => r.node ?? '',
  },
  { key: 'ppid', title: 'PPID', width: 5, align: 'right', keep: 9, value: (r) => (r.ppid ? String(r.ppid) : '-') },
  {
    key: 'name',
    title: 'NAME',
    width: 10,
    min: 8,
    max: 24,
    give: 2,
    cut: 'middle',
    align: 'left',
    keep: 0,
    value: treeName,
  },
  {
    key: 'state',
    title: 'STATE',
    width: 16,
    min: 10,
    max: 24,
    give: 3,
    align: 'left',
    keep: 1,
    value: (r) => describeStatus(r),
  },
  {
    key: 'model',
    title: 'MODEL',
    width: 8,
    min: 5,
    max: 32,
    give: 1,
    align: 'left',
    keep: 5,
    value: (r) => modelOfRow(r),
  },
  { key: 'turns', title: 'TURNS', width: 5, align: 'right', keep: 6, value: (r) => formatCount(r.turns) },
  {
    key: 'syscalls',
    title: 'SYSC',
    width: 5,
    wide: { title: 'SYSCALLS', width: 8 },
    align: 'right',
    keep: 7,
    value: (r) => formatCount(r.syscalls),
  },
  { key: 'tokens', title: 'TOKENS', width: 6, align: 'right', keep: 2, value: (r) => formatCount(r.tokens) },
  { key: 'rate', title: 'TOK/S', width: 5, align: 'right', keep: 3, value: (r) => formatRate(r.rate) },
  { key: 'cost', title: 'COST', width: 7, align: 'right', keep: 4, value: (r) => (r.cost ? formatCost(r.cost) : '-') },
  // As in ps: since creation while live, since the end once ended.
  {
    key: 'age',
    title: 'AGE',
    width: 7,
    align: 'right',
    keep: 4,
    value: (r) => (r.ended_at === null ? formatDuration(r.age) : formatAgo(r.age)),
  },
];

/** One column of gutter before each column (the first holds the selection marker). */
const GUTTER = 1;

function total(columns: readonly Column[]): number {
  return columns.reduce((sum, c) => sum + c.width + GUTTER, 0);
}

/** Drops the least important columns until the rest fit, then spends what is left on NAME and MODEL. NODE: in a cluster only. */
export function layoutColumns(width: number, options: { cluster?: boolean } = {}): Column[] {
  let shown = COLUMNS.filter((c) => c.key !== 'node' || options.cluster);
  while (total(shown) > width && shown.length > 2) {
    const worst = shown.reduce((a, b) => (b.keep >= a.keep ? b : a));
    shown = shown.filter((c) => c !== worst);
  }
  const sized = shown.map((c) => ({ ...c }));
  let spare = width - total(sized);
  // MODEL gives way first, then NAME, STATE last: it carries the reason.
  for (const c of [...sized].filter((x) => x.min !== undefined).sort((a, b) => (a.give ?? 0) - (b.give ?? 0))) {
    if (spare >= 0) break;
    const cut = Math.min(c.width - (c.min as number), -spare);
    c.width -= cut;
    spare += cut;
  }
  for (const c of sized) {
    if (c.wide && spare >= c.wide.width - c.width) {
      spare -= c.wide.width - c.width;
      Object.assign(c, c.wide);
    }
  }
  for (let grew = true; spare > 0 && grew;) {
    grew = false;
    for (const c of sized) {
      if (spare > 0 && c.max !== undefined && c.width < c.max) {
        c.width++;
        spare--;
        grew = true;
      }
    }
  }
  return sized;
}

export function formatCells(columns: readonly Column[], value: (c: Column) => string): string {
  return columns.map((c) => fit(value(c), c.width, c.align, c.cut)).join(' ');
}
