/**
 * `d`: the selected process in full, as `aos inspect` prints it (k9s's describe), in place of the
 * table; read when opened and again when the process changes state. Esc or d goes back.
 */
import { Box, Text } from 'ink';
import { useEffect, useState, type ReactElement } from 'react';
import type { ProcDetail } from '../../protocol/detail.js';
import { describeDetail } from '../inspect.js';
import type { ViewRow } from './rows.js';
import type { TopSource } from './source.js';
import { tone } from './theme.js';

type Loaded = { pid: number; detail: ProcDetail } | { pid: number; error: string } | null;

export function DescribePane({ source, proc, height, color }: { source: TopSource; proc: ViewRow | null; height: number; color: boolean }): ReactElement {
  const [loaded, setLoaded] = useState<Loaded>(null);
  const pid = proc?.pid ?? null;
  const state = proc?.state;
  useEffect(() => {
    if (pid === null) return;
    let live = true;
    if (!source.inspect) {
      setLoaded({ pid, error: 'this kernel connection cannot describe a process' });
      return;
    }
    source.inspect(pid).then(
      (detail) => live && setLoaded({ pid, detail }),
      (error: unknown) => live && setLoaded({ pid, error: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      live = false;
    };
  }, [source, pid, state]);
  const mine = loaded && loaded.pid === pid ? loaded : null;
  const lines = !proc ? ['no process selected'] : !mine ? ['loading…'] : 'error' in mine ? [`cannot describe ${mine.pid}: ${mine.error}`] : describeDetail(mine.detail).split('\n');
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text bold color={tone(color, 'cyan')} wrap="truncate">{` describe ${proc ? `${proc.pid} ${proc.name}` : ''}  (d or Esc: back)`}</Text>
      {lines.slice(0, Math.max(0, height - 1)).map((line, i) => (
        <Text key={i} wrap="truncate">{` ${line}`}</Text>
      ))}
    </Box>
  );
}
