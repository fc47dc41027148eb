/** The last line of an attached spawn: how it ended and what it cost, over its whole tree. */
import type { EndPayload } from '../protocol/protocol.js';
import { describeEnd } from '../protocol/status.js';
import type { ProcRow } from '../protocol/views.js';
import { formatCost, formatCount, formatDuration } from './top/format.js';

function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** `exited 0 after 4s: 3 turns, 5 syscalls, 1.2k tokens, $0.0012 (2 processes)` */
export function describeSummary(end: EndPayload, tree: readonly ProcRow[], now = Date.now()): string {
  const root = tree.find((r) => r.pid === end.pid);
  const sum = (f: (r: ProcRow) => number): number => tree.reduce((n, r) => n + f(r), 0);
  const time = root ? formatDuration(((root.ended_at ?? now) - root.created_at) / 1000) : '?';
  const head = describeEnd(end.state, end.code, null);
  const figures = [
    plural(
      sum((r) => r.turns),
      'turn',
    ),
    plural(
      sum((r) => r.syscalls),
      'syscall',
    ),
    plural(
      sum((r) => r.tokens),
      'token',
    ),
    formatCost(sum((r) => r.cost)),
  ];
  const others = tree.length > 1 ? ` (${tree.length} processes)` : '';
  return `${head} after ${time}: ${figures.join(', ')}${others}`;
}
