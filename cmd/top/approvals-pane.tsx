/** Pending approvals above the process table, oldest first: the one A / D answer is the first line. */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { ApprovalRow } from './source.js';
import { tone } from './theme.js';
import { approvalAbout, callLine, escapeControl, showCall, type ShownCall } from '../../protocol/show-call.js';
import { displayWidth } from '../text-width.js';

/**
 * The call as it will run (protocol/show-call.ts): an exec's program, argv quoted, cwd and env;
 * invisible characters escaped, and a cut to the width that says how much it left out (aos
 * approvals shows the call whole).
 */
export function approvalLine(row: ApprovalRow, width: number): string {
  const head = `${row.id}  pid ${row.pid} ${escapeControl(row.name)}  ${escapeControl(row.call)} `;
  // What the rule was asked about, whole (a send's chat, resolved): the words alone may aim elsewhere.
  const about = approvalAbout(row);
  const tail = `${about ? `  ${about}` : ''}  (${escapeControl(row.rule)})${row.group_size > 1 ? `  ×${row.group_size} alike` : ''}`;
  // On a dashboard line, an exec's argv comes first: what it does, then what runs it (program, cwd, env).
  const fields = (shown: ShownCall): ShownCall => ({
    ...shown,
    fields: [...shown.fields].sort((a, b) => Number(b.label === 'argv') - Number(a.label === 'argv')),
  });
  const line = (room: number): string =>
    `${head}${callLine(fields(showCall(row, { preview: room })), room, null)}${tail}`;
  // Cut by our mark, not by Ink's bare "…": measured in columns (a wide character takes two).
  let room = Math.max(24, width - displayWidth(head) - displayWidth(tail));
  let shown = line(room);
  for (let over = displayWidth(shown) - width; over > 0 && room > 24; over = displayWidth(shown) - width)
    shown = line((room = Math.max(24, room - over)));
  return shown;
}

export function approvalsPaneHeight(count: number, max: number): number {
  return count === 0 ? 0 : 1 + Math.min(count, max);
}

export function ApprovalsPane({
  rows,
  max,
  width,
  color,
}: {
  rows: readonly ApprovalRow[];
  max: number;
  width: number;
  color: boolean;
}): ReactElement | null {
  if (rows.length === 0) return null;
  const more = rows.length > max ? ` (${rows.length - max} more)` : '';
  return (
    <Box flexDirection="column">
      <Text
        bold
        color={tone(color, 'yellow')}
        wrap="truncate"
      >{`APPROVALS ${rows.length} pending${more} — A approve, D deny the first`}</Text>
      {rows.slice(0, max).map((row) => (
        <Text key={row.id} wrap="truncate">
          {approvalLine(row, width)}
        </Text>
      ))}
    </Box>
  );
}

export function approvalQuestion(c: { id: string; pid: number; call: string; approve: boolean }): string {
  return `${c.approve ? 'approve' : 'deny'} ${c.id} (${escapeControl(c.call)} of process ${c.pid})? y/n`;
}
