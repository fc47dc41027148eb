/** Key help (or the last action's outcome) and where the selection is in the list. */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { SortKey } from './rows.js';
import { tone } from './theme.js';

export interface FooterProps {
  mode: 'table' | 'logs' | 'help' | 'describe' | 'units';
  sort: SortKey;
  all: boolean;
  status: { text: string; error: boolean } | null;
  /** The `/` filter: shown while typed or while it narrows the rows. */
  filter?: { text: string; typing: boolean };
  /** 1-based position of the selection, and the number of rows shown. */
  position: number;
  count: number;
  color: boolean;
}

function Key({ k, label, color }: { k: string; label: string; color: boolean }): ReactElement {
  return (
    <Text>
      <Text bold color={tone(color, 'cyan')}>
        {k}
      </Text>
      {` ${label}  `}
    </Text>
  );
}

export function Footer({ mode, sort, all, status, filter, position, count, color }: FooterProps): ReactElement {
  const where = `${count === 0 ? 0 : position}/${count}`;
  return (
    <Box justifyContent="space-between" height={1}>
      {filter && (filter.typing || filter.text) ? (
        <Text wrap="truncate">
          <Text bold color={tone(color, 'cyan')}>
            /
          </Text>
          {`${filter.text}${filter.typing ? '▏  (Enter keep, Esc clear)' : '  (/ to change)'}`}
        </Text>
      ) : status ? (
        <Text wrap="truncate" color={tone(color, status.error ? 'red' : 'green')}>
          {status.text}
        </Text>
      ) : (
        <Text wrap="truncate">
          <Key k="q" label="quit" color={color} />
          <Key k="?" label="keys" color={color} />
          <Key k="↑↓" label="move" color={color} />
          <Key k="K" label="kill" color={color} />
          <Key k="l" label={mode === 'logs' ? 'table' : 'logs'} color={color} />
          <Key k="d" label="describe" color={color} />
          <Key k="u" label="units" color={color} />
          <Key k="s" label={`sort:${sort}`} color={color} />
          <Key k="a" label={all ? 'all' : 'live'} color={color} />
          <Key k="t" label="tree" color={color} />
          <Key k="/" label="filter" color={color} />
        </Text>
      )}
      <Text dimColor={color}>{` ${where}`}</Text>
    </Box>
  );
}
