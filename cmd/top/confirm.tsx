/** The y/n prompt before a kill: it takes the footer's line while open. */
import { Text } from 'ink';
import type { ReactElement } from 'react';
import { tone } from './theme.js';

export function killQuestion(pid: number, name: string): string {
  return `kill ${pid} (${name}) and its subtree? y/n`;
}

export function Confirm({ pid, name, color }: { pid: number; name: string; color: boolean }): ReactElement {
  return (
    <Text wrap="truncate" bold color={tone(color, 'yellow')} inverse={!color}>
      {killQuestion(pid, name)}
    </Text>
  );
}
