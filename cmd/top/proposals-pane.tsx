/** Pending proposals under the approvals, newest first (undos go newest first): the one U undoes is the first line. */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { ProposalRow } from './source.js';
import { tone } from './theme.js';
import { escapeControl } from '../../protocol/show-call.js';
import { displayWidth } from '../text-width.js';

/** What is left of a window, as `aos proposals` says it: 4m12s. */
export function leftText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/** One proposal: its id, process, call and file (escaped: a model chose the path), the time left, the rule. */
export function proposalLine(row: ProposalRow, width: number, now: number): string {
  const head = `${row.id}  pid ${row.pid} ${escapeControl(row.name)}  ${escapeControl(row.call)} `;
  const tail = `  undo within ${leftText(Date.parse(row.expires_at) - now)}  (${escapeControl(row.rule)})`;
  const room = Math.max(12, width - displayWidth(head) - displayWidth(tail));
  const file = escapeControl(row.subject);
  return `${head}${displayWidth(file) > room ? `${file.slice(0, Math.max(1, room - 1))}…` : file}${tail}`;
}

export function proposalsPaneHeight(count: number, max: number): number {
  return count === 0 ? 0 : 1 + Math.min(count, max);
}

export function ProposalsPane({
  rows,
  max,
  width,
  now,
  color,
}: {
  rows: readonly ProposalRow[];
  max: number;
  width: number;
  now: number;
  color: boolean;
}): ReactElement | null {
  if (rows.length === 0) return null;
  const more = rows.length > max ? ` (${rows.length - max} more)` : '';
  return (
    <Box flexDirection="column">
      <Text
        bold
        color={tone(color, 'cyan')}
        wrap="truncate"
      >{`PROPOSALS ${rows.length} undoable${more} — U undo the first (newest)`}</Text>
      {rows.slice(0, max).map((row) => (
        <Text key={row.id} wrap="truncate">
          {proposalLine(row, width, now)}
        </Text>
      ))}
    </Box>
  );
}

export function undoQuestion(c: { id: string; pid: number; subject: string }): string {
  return `undo ${c.id} (the write of ${escapeControl(c.subject)} by process ${c.pid})? y/n`;
}
