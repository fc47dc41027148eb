/** Pending approvals above the process table, oldest first: the one A / D answer is the first line. */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { ApprovalRow } from './source.js';
import { tone } from './theme.js';
import { approvalSubject, visibleLine, visibleText } from '../../protocol/visible-text.js';

/** The call as it will run: invisible characters escaped, and a cut that says so (aos approvals --json shows all). */
export function approvalLine(row: ApprovalRow, width: number): string {
  const head = `${row.id}  pid ${row.pid} ${visibleText(row.name)}  ${row.call} `;
  // What the rule was asked about, whole (a send's chat, resolved): the words alone may aim elsewhere.
  const about = approvalSubject(row);
  const tail = `${about ? `  ${about}` : ''}  (${row.rule})${row.group_size > 1 ? `  ×${row.group_size} alike` : ''}`;
  return `${head}${visibleLine(row.args, Math.max(24, width - head.length - tail.length))}${tail}`;
}

export function approvalsPaneHeight(count: number, max: number): number {
  return count === 0 ? 0 : 1 + Math.min(count, max);
}

export function ApprovalsPane({ rows, max, width, color }: { rows: readonly ApprovalRow[]; max: number; width: number; color: boolean }): ReactElement | null {
  if (rows.length === 0) return null;
  const more = rows.length > max ? ` (${rows.length - max} more)` : '';
  return (
    <Box flexDirection="column">
      <Text bold color={tone(color, 'yellow')} wrap="truncate">{`APPROVALS ${rows.length} pending${more} — A approve, D deny the first`}</Text>
      {rows.slice(0, max).map((row) => (
        <Text key={row.id} wrap="truncate">
          {approvalLine(row, width)}
        </Text>
      ))}
    </Box>
  );
}

export function approvalQuestion(c: { id: string; pid: number; call: string; approve: boolean }): string {
  return `${c.approve ? 'approve' : 'deny'} ${c.id} (${c.call} of process ${c.pid})? y/n`;
}
