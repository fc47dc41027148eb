/** The process table: a header row and the rows that fit, scrolled to keep the selection visible. */
import { Box, Text } from 'ink';
import { useRef, type ReactElement } from 'react';
import { formatCells, type Column } from './columns.js';
import type { SortKey, ViewRow } from './rows.js';
import { STATE_TONE, tone } from './theme.js';

export interface ProcessTableProps {
  rows: readonly ViewRow[];
  columns: readonly Column[];
  selected: number;
  /** Lines available, the header row included. */
  height: number;
  color: boolean;
  /** The sort order: its column's title is marked (↑ smallest first, ↓ largest first). */
  sort?: SortKey;
}

/** The column each sort order sorts by, and which way. */
const SORTED_BY: Record<SortKey, { key: string; mark: string }> = {
  pid: { key: 'pid', mark: '↑' },
  tokens: { key: 'tokens', mark: '↓' },
  'tok/s': { key: 'rate', mark: '↓' },
  cost: { key: 'cost', mark: '↓' },
  state: { key: 'state', mark: '↑' },
  age: { key: 'age', mark: '↓' },
};

/** A header cell: the title, marked when the table is sorted by it (the mark stays when the title is cut). */
function title(column: Column, sort: SortKey | undefined): string {
  const by = sort === undefined ? undefined : SORTED_BY[sort];
  if (by?.key !== column.key) return column.title;
  return column.title.length + 1 <= column.width
    ? `${column.title}${by.mark}`
    : `${column.title.slice(0, Math.max(0, column.width - 1))}${by.mark}`;
}

/** First visible row: moves only as far as needed to keep `index` on screen (no page jumps). */
export function scrollTop(previous: number, index: number, visible: number, count: number): number {
  const maxTop = Math.max(0, count - visible);
  let top = Math.min(previous, maxTop);
  if (index < top) top = index;
  else if (index >= top + visible) top = index - visible + 1;
  return Math.max(0, Math.min(top, maxTop));
}

function Row({
  row,
  columns,
  selected,
  color,
}: {
  row: ViewRow;
  columns: readonly Column[];
  selected: boolean;
  color: boolean;
}): ReactElement {
  const split = columns.findIndex((c) => c.key === 'state');
  const cells = (cols: readonly Column[]): string => formatCells(cols, (c) => c.value(row));
  const marker = selected ? '>' : ' ';
  if (split < 0) return <Text wrap="truncate" inverse={selected}>{`${marker}${cells(columns)}`}</Text>;
  const before = cells(columns.slice(0, split));
  const after = cells(columns.slice(split + 1));
  return (
    <Text
      wrap="truncate"
      inverse={selected}
      dimColor={color && !selected && (row.state === 'exited' || row.state === 'killed')}
    >
      {marker}
      {before ? `${before} ` : ''}
      <Text color={selected ? undefined : tone(color, STATE_TONE[row.state])}>
        {cells(columns.slice(split, split + 1))}
      </Text>
      {after ? ` ${after}` : ''}
    </Text>
  );
}

export function ProcessTable({ rows, columns, selected, height, color, sort }: ProcessTableProps): ReactElement {
  const visible = Math.max(1, height - 1);
  const top = useRef(0);
  top.current = scrollTop(top.current, Math.max(0, selected), visible, rows.length);
  const shown = rows.slice(top.current, top.current + visible);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text wrap="truncate" bold inverse={!color} color={tone(color, 'cyan')}>
        {` ${formatCells(columns, (c) => title(c, sort))}`}
      </Text>
      {shown.length === 0 ? <Text dimColor={color}> no processes (a: show ended ones)</Text> : null}
      {shown.map((row, i) => (
        <Row key={row.pid} row={row} columns={columns} selected={top.current + i === selected} color={color} />
      ))}
    </Box>
  );
}
