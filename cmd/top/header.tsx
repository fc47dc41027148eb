/** Kernel totals: three lines, or a placeholder of the same height while connecting. */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { PROC_STATES } from '../../sys/types.js';
import type { KernelStats } from '../../protocol/views.js';
import type { ClusterView } from '../../protocol/cluster-view.js';
import { printable } from '../printable.js';
import { formatProviderShort } from '../providers.js';
import { formatBytes, formatCost, formatCount, formatDuration, formatRate } from './format.js';
import { sparkline, sparkWidth, steps } from './sparkline.js';
import { STATE_TONE, tone } from './theme.js';

export const HEADER_HEIGHT = 3;
/** The header's two sparklines are never wider than this. */
const HEADER_SPARK_MAX = 30;

export interface HeaderProps {
  stats: KernelStats | null;
  /** Seconds, already advanced past the last stats push. */
  uptime: number;
  /** Tokens per second over all shown processes. */
  rate: number;
  color: boolean;
  /** Kernel tokens/s and cumulative cost, one per step, newest last: drawn when `width` leaves room. */
  trend?: { rate: readonly number[]; cost: readonly number[] };
  width?: number;
}

/** Labels of the trend block ('  tok/s ▁▃█  spend ▁▁▅'). */
const SPARK_LABELS = ['  tok/s ', '  spend '] as const;

/**
 * The trend block that ends the third line, right-aligned: tok/s and spend per step, as wide as the
 * room after `fixed` (the line's own text) allows; null when too narrow, so the line is unchanged.
 */
export function headerSparks(
  fixed: string,
  props: Pick<HeaderProps, 'trend' | 'width'>,
): { pad: string; rate: string; spend: string } | null {
  const { trend, width } = props;
  // One column spare: a line that fills the last column makes some terminals wrap.
  const room = (width ?? 0) - 1 - fixed.length - SPARK_LABELS[0].length - SPARK_LABELS[1].length;
  const w = trend ? sparkWidth(room, 2, HEADER_SPARK_MAX) : 0;
  if (!trend || w === 0) return null;
  // Right-aligned, newest sample last: the block does not move as history fills in.
  return {
    pad: ' '.repeat(room - 2 * w),
    rate: sparkline(trend.rate, w).padStart(w),
    spend: sparkline(steps(trend.cost), w).padStart(w),
  };
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

/** `(3 nodes)`, or `(2 nodes, 1 dead)`: how the cluster stands, from this node's last read (nodes that left cleanly are not counted). */
export function clusterCount(c: ClusterView): string {
  const live = c.nodes.filter((n) => n.state === 'live').length;
  const dead = c.nodes.filter((n) => n.state === 'dead').length;
  return `(${live} node${live === 1 ? '' : 's'}${dead > 0 ? `, ${dead} dead` : ''})`;
}

function Label({ text, color }: { text: string; color: boolean }): ReactElement {
  return <Text dimColor={color}>{text}</Text>;
}

export function Header({ stats, uptime, rate, color, trend, width }: HeaderProps): ReactElement {
  if (!stats) {
    return (
      <Box flexDirection="column" height={HEADER_HEIGHT}>
        <Text bold>aos top</Text>
        <Text dimColor={color}>connecting to the kernel…</Text>
      </Box>
    );
  }
  const total = PROC_STATES.reduce((sum, s) => sum + stats.processes[s], 0);
  const limits = formatLimits(stats);
  const sparks = headerSparks(
    `infer ${stats.active_inferences}/${stats.max_inferences}  queue ${stats.queue_depth}  limits ${limits}`,
    { trend, width },
  );
  // Each line ends with what matters least, so a narrow terminal truncates that first.
  return (
    <Box flexDirection="column" height={HEADER_HEIGHT}>
      <Text wrap="truncate">
        <Text bold>aos top</Text>
        {stats.cluster ? (
          <Label text={`  node ${printable(stats.cluster.node)} ${clusterCount(stats.cluster)}`} color={color} />
        ) : null}
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
        <Label
          text={`  heap ${formatBytes(stats.heap_used_bytes)}  kernel ${stats.version} pid ${stats.pid}`}
          color={color}
        />
      </Text>
      <Text wrap="truncate">
        <Label text={stats.cluster ? `procs on ${printable(stats.cluster.node)} ` : 'procs '} color={color} />
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
        {limits}
        {sparks ? <Label text={`${sparks.pad}${SPARK_LABELS[0]}`} color={color} /> : null}
        {sparks ? <Text color={tone(color, 'cyan')}>{sparks.rate}</Text> : null}
        {sparks ? <Label text={SPARK_LABELS[1]} color={color} /> : null}
        {sparks ? <Text color={tone(color, 'yellow')}>{sparks.spend}</Text> : null}
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
