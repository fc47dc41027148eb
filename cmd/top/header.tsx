/** Kernel totals: three lines, or a placeholder of the same height while connecting. */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { PROC_STATES } from '../../kernel/types.js';
import type { KernelStats } from '../../kernel/wire/views.js';
import { formatProviderShort } from '../providers.js';
import { formatBytes, formatCost, formatCount, formatDuration, formatRate } from './format.js';
import { STATE_TONE, tone } from './theme.js';

export const HEADER_HEIGHT = 3;

export interface HeaderProps {
  stats: KernelStats | null;
  /** Seconds, already advanced past the last stats push. */
  uptime: number;
  /** Tokens per second over all shown processes. */
  rate: number;
  color: boolean;
}

/** Per provider when the kernel reports it (in flight/limit, queue, headroom); else the older rate headroom. */
export function formatLimits(stats: KernelStats): string {
  const providers = stats.providers ?? [];
  return providers.length > 0 ? providers.map(formatProviderShort).join(', ') : formatRateLimits(stats.rate_limits);
}

export function formatRateLimits(limits: KernelStats['rate_limits']): string {
  if (limits.length === 0) return '—';
  const n = (v: number | null): string => (v === null ? '—' : formatCount(v));
  return limits.map((l) => `${l.provider} rpm ${n(l.rpm_left)} tpm ${n(l.tpm_left)}`).join(', ');
}

function Label({ text, color }: { text: string; color: boolean }): ReactElement {
  return <Text dimColor={color}>{text}</Text>;
}

export function Header({ stats, uptime, rate, color }: HeaderProps): ReactElement {
  if (!stats) {
    return (
      <Box flexDirection="column" height={HEADER_HEIGHT}>
        <Text bold>aos top</Text>
        <Text dimColor={color}>connecting to the kernel…</Text>
      </Box>
    );
  }
  const total = PROC_STATES.reduce((sum, s) => sum + stats.processes[s], 0);
  // Each line ends with what matters least, so a narrow terminal truncates that first.
  return (
    <Box flexDirection="column" height={HEADER_HEIGHT}>
      <Text wrap="truncate">
        <Text bold>aos top</Text>
        <Label text="  up " color={color} />
        {formatDuration(uptime)}
        <Label text="  tokens " color={color} />
        {formatCount(stats.prompt_tokens + stats.output_tokens)}
        <Label text="  tok/s " color={color} />
        {formatRate(rate)}
        <Label text="  cost " color={color} />
        {formatCost(stats.cost)}
        <Label text="  rss " color={color} />
        {formatBytes(stats.rss_bytes)}
        <Label text={`  heap ${formatBytes(stats.heap_used_bytes)}  kernel ${stats.version} pid ${stats.pid}`} color={color} />
      </Text>
      <Text wrap="truncate">
        <Label text="procs " color={color} />
        <Text bold>{total}</Text>
        <Label text=":" color={color} />
        {PROC_STATES.map((s) => (
          <Text key={s}>
            {' '}
            <Text color={tone(color, STATE_TONE[s])}>{stats.processes[s]}</Text> {s}
          </Text>
        ))}
      </Text>
      <Text wrap="truncate">
        <Label text="infer " color={color} />
        {stats.active_inferences}/{stats.max_inferences}
        <Label text="  queue " color={color} />
        {stats.queue_depth}
        <Label text="  limits " color={color} />
        {formatLimits(stats)}
      </Text>
    </Box>
  );
}

export function ErrorBanner({ message, color }: { message: string; color: boolean }): ReactElement {
  return (
    <Text wrap="truncate" color={tone(color, 'red')} bold inverse={!color}>
      {`kernel unreachable: ${message}  (r retry, q quit)`}
    </Text>
  );
}
