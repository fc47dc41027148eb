/**
 * `d`: the selected process in full, as `aos inspect` prints it (k9s's describe), in place of the
 * table; read when opened, again whenever its row moves (state, turns, calls, tokens, cost), and
 * every DESCRIBE_REFRESH_MS while it lives (its children, its waits, its budgets' use). Esc or d goes back.
 */
import { Box, Text } from 'ink';
import { useEffect, useState, type ReactElement } from 'react';
import type { ProcDetail } from '../../protocol/detail.js';
import { describeDetail } from '../inspect.js';
import type { ViewRow } from './rows.js';
import type { TopSource } from './source.js';
import { tone } from './theme.js';

/** A live process's description is read again this often, whether or not its row moved. */
export const DESCRIBE_REFRESH_MS = 2_000;

type Loaded = { pid: number; detail: ProcDetail } | { pid: number; error: string } | null;

export function DescribePane({
  source,
  proc,
  height,
  color,
}: {
  source: TopSource;
  proc: ViewRow | null;
  height: number;
  color: boolean;
}): ReactElement {
  const [loaded, setLoaded] = useState<Loaded>(null);
  const pid = proc?.pid ?? null;
  const state = proc?.state;
  // What the row shows moving: a new reading then, not only on a change of state.
  const moved = proc
    ? `${proc.state}/${proc.turns}/${proc.syscalls}/${proc.tokens}/${proc.cost}/${proc.wait ?? ''}`
    : '';
  const [tick, setTick] = useState(0);
  const ended = state === 'exited' || state === 'killed';
  useEffect(() => {
    if (pid === null || ended) return;
    const timer = setInterval(() => setTick((n) => n + 1), DESCRIBE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [pid, ended]);
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
  }, [source, pid, moved, tick]);
  const mine = loaded && loaded.pid === pid ? loaded : null;
  const lines = !proc
    ? ['no process selected']
    : !mine
      ? ['loading…']
      : 'error' in mine
        ? [`cannot describe ${mine.pid}: ${mine.error}`]
        : describeDetail(mine.detail).split('\n');
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text
        bold
        color={tone(color, 'cyan')}
        wrap="truncate"
      >{` describe ${proc ? `${proc.pid} ${proc.name}` : ''}  (d or Esc: back)`}</Text>
      {lines.slice(0, Math.max(0, height - 1)).map((line, i) => (
        <Text key={i} wrap="truncate">{` ${line}`}</Text>
      ))}
    </Box>
  );
}
