/** The selected process's recent log, rendered line by line like `aos logs` (cmd/render.ts). */
import { describeStatus } from '../../protocol/status.js';
import { Box, Text } from 'ink';
import { useMemo, type ReactElement } from 'react';
import type { KernelEvent } from '../../protocol/events.js';
import { painter } from '../style.js';
import { cutStart } from '../text-width.js';
import { EventRenderer } from '../render.js';
import type { ViewRow } from './rows.js';
import { SPARK_MIN, sparkline } from './sparkline.js';
import { STATE_TONE, tone } from './theme.js';

export interface LogPaneProps {
  proc: ViewRow | null;
  events: readonly KernelEvent[];
  loading: boolean;
  /** Lines available, the title included. */
  height: number;
  width: number;
  color: boolean;
  /** Full-height follow view (more detail: syscalls and transitions). */
  follow: boolean;
  /** The process's tokens/s, one per step, newest last: a sparkline in the title when it fits. */
  trend?: readonly number[];
  /** The reply it is writing now (streamed): its newest words on the last line. */
  writing?: string;
}

/** The title's sparkline is never wider than this. */
const LOG_SPARK_MAX = 20;
/** What the title's sparkline costs besides its glyphs: ' tok/s ', then ' ──', and 4 dashes kept before. */
const LOG_SPARK_FRAME = 14;

/** The glyphs drawn as ' tok/s ▁▃█ ──' at the end of a rule of `rule` columns, or '' when they do not fit. */
export function titleSpark(trend: readonly number[] | undefined, rule: number): string {
  const w = Math.min(LOG_SPARK_MAX, rule - LOG_SPARK_FRAME);
  if (!trend?.length || w < SPARK_MIN) return '';
  return sparkline(trend, w).padStart(w);
}

type LineCache = WeakMap<KernelEvent, string | null>;

/** Renders events to lines; `cache` (valid for one pid and one set of options) spares re-rendering big results. */
export function renderLogLines(
  proc: { pid: number; name: string } | null,
  events: readonly KernelEvent[],
  options: { width: number; color: boolean; verbose: boolean },
  cache: LineCache = new WeakMap(),
): string[] {
  const renderer = new EventRenderer({ paint: painter(options.color), verbose: options.verbose, width: options.width });
  // The renderer learns names from spawn events, which a tail of history may not reach.
  if (proc) renderer.render({ ts: '', pid: proc.pid, type: 'state', from: null, to: 'ready', name: proc.name });
  const lines: string[] = [];
  for (const event of events) {
    let line = cache.get(event);
    if (line === undefined) {
      // Prompts repeat what the result lines already said.
      line = event.type === 'prompt' ? null : renderer.render(event);
      cache.set(event, line);
    }
    if (line !== null) lines.push(line);
  }
  return lines;
}

/** The last line while a reply streams in: `▸ ` and the newest words that fit. */
export function writingLine(text: string, width: number): string {
  return `▸ ${cutStart(text.replace(/\s+/g, ' ').trim(), Math.max(1, width - 3))}`;
}

export function LogPane({
  proc,
  events,
  loading,
  height,
  width,
  color,
  follow,
  trend,
  writing,
}: LogPaneProps): ReactElement {
  const pid = proc?.pid ?? null;
  const name = proc?.name ?? '';
  const cache = useMemo<LineCache>(() => new WeakMap(), [pid, name, width, color, follow]);
  const lines = useMemo(
    () => renderLogLines(pid === null ? null : { pid, name }, events, { width, color, verbose: follow }, cache),
    [pid, name, events, width, color, follow, cache],
  );
  const streaming = writing !== undefined && writing.trim() !== '';
  const body = Math.max(0, height - 1 - (streaming ? 1 : 0));
  const shown = lines.slice(-body);
  const title = proc ? `${follow ? 'follow' : 'log'} ${proc.pid} ${proc.name} ` : 'log ';
  const status = proc ? describeStatus(proc) : '';
  const full = Math.max(0, width - 3 - title.length - (proc ? status.length + 1 : 0));
  const spark = proc ? titleSpark(trend, full) : '';
  const rule = full - (spark ? spark.length + LOG_SPARK_FRAME - 4 : 0);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text wrap="truncate">
        <Text dimColor={color}>── </Text>
        <Text bold>{title}</Text>
        {proc ? <Text color={tone(color, STATE_TONE[proc.state])}>{status} </Text> : null}
        <Text dimColor={color}>{'─'.repeat(rule)}</Text>
        {spark ? <Text dimColor={color}> tok/s </Text> : null}
        {spark ? <Text color={tone(color, 'cyan')}>{spark}</Text> : null}
        {spark ? <Text dimColor={color}> ──</Text> : null}
      </Text>
      {!proc ? <Text dimColor={color}>no process selected</Text> : null}
      {proc && shown.length === 0 && !streaming ? (
        <Text dimColor={color}>{loading ? 'loading…' : 'no log lines yet'}</Text>
      ) : null}
      {shown.map((line, i) => (
        <Text key={lines.length - shown.length + i} wrap="truncate">
          {line}
        </Text>
      ))}
      {streaming ? (
        <Text color={tone(color, 'magenta')} wrap="truncate">
          {writingLine(writing, width)}
        </Text>
      ) : null}
    </Box>
  );
}
