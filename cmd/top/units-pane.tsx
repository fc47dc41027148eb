/**
 * `u`: the kernel's units in place of the table (aos unit ls): state, triggers, next run counting
 * down, the last firing and its outcome, runs and skips. Read when opened, again on every trigger
 * or state event (a firing, a run ending) and every UNITS_REFRESH_MS for the countdowns. u or Esc goes back.
 */
import { Box, Text } from 'ink';
import { useEffect, useState, type ReactElement } from 'react';
import { formatUnits } from '../unit-format.js';
import type { TopSource, UnitRow } from './source.js';
import { tone } from './theme.js';

/** The list is read again this often while open, whatever happens: its NEXT column counts down. */
export const UNITS_REFRESH_MS = 5_000;

type Loaded = { units: readonly UnitRow[]; at: number } | { error: string } | null;

export function UnitsPane({
  source,
  height,
  color,
}: {
  source: TopSource;
  height: number;
  color: boolean;
}): ReactElement {
  const [loaded, setLoaded] = useState<Loaded>(null);
  useEffect(() => {
    const list = source.units?.bind(source);
    if (!list) {
      setLoaded({ error: 'this kernel connection cannot list units' });
      return undefined;
    }
    let live = true;
    const load = (): void => {
      list().then(
        (units) => live && setLoaded({ units, at: Date.now() }),
        (error: unknown) => live && setLoaded({ error: error instanceof Error ? error.message : String(error) }),
      );
    };
    const unsubscribe = source.subscribe({
      onEvent: (e) => (e.type === 'trigger' || e.type === 'state') && load(),
      onStats: () => undefined,
      onError: () => undefined,
    });
    const timer = setInterval(load, UNITS_REFRESH_MS);
    load();
    return () => {
      live = false;
      clearInterval(timer);
      unsubscribe();
    };
  }, [source]);
  const lines = !loaded
    ? ['loading…']
    : 'error' in loaded
      ? [`cannot list units: ${loaded.error}`]
      : formatUnits(loaded.units, loaded.at).split('\n');
  const count = loaded && 'units' in loaded ? ` ${loaded.units.length}` : '';
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text
        bold
        color={tone(color, 'cyan')}
        wrap="truncate"
      >{` units${count}  (u or Esc: back; aos unit show NAME for one)`}</Text>
      {lines.slice(0, Math.max(0, height - 1)).map((line, i) => (
        <Text key={i} wrap="truncate" bold={i === 0 && lines.length > 1}>{` ${line}`}</Text>
      ))}
    </Box>
  );
}
