/** `?`: every key of the dashboard, in place of the table (any of ?, h or Esc goes back). */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { tone } from './theme.js';

export const KEYS: ReadonlyArray<readonly [string, string]> = [
  ['↑ ↓  j k', 'move the selection (PgUp PgDn a page, g G first and last)'],
  ['l  Enter', 'follow the selected process’s log full height (again: back)'],
  ['d', 'describe the selected process: task, model, capabilities, limits, children'],
  ['u', 'units: each with its triggers, next run, last run and its outcome (again: back)'],
  ['K  x', 'kill the selected process and its descendants (asks y/n)'],
  ['s', 'sort by the next column: pid, tokens, tok/s, cost, state, age (its title is marked ↑ or ↓)'],
  ['a', 'show ended processes too, or live ones only'],
  ['t', 'tree: children under their parents'],
  ['/', 'filter by pid, name, model or status as you type (Enter keeps, Esc clears)'],
  ['A  D', 'approve or deny the oldest pending approval (asks y/n)'],
  ['U', 'undo the newest pending proposal: its write put back (asks y/n)'],
  ['r', 'reconnect after the kernel went away'],
  ['?  h', 'this help (again, or Esc: back)'],
  ['q  Ctrl-C', 'quit'],
];

export function HelpPane({ height, color }: { height: number; color: boolean }): ReactElement {
  const width = Math.max(...KEYS.map(([k]) => k.length));
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text bold color={tone(color, 'cyan')}>
        {' keys'}
      </Text>
      {KEYS.slice(0, Math.max(0, height - 1)).map(([k, what]) => (
        <Text key={k} wrap="truncate">
          <Text bold>{` ${k.padEnd(width)}  `}</Text>
          {what}
        </Text>
      ))}
    </Box>
  );
}
