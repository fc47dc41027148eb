/** Compact numbers for narrow columns: 1.2k tokens, $0.0123, 3m12s, 45 MiB. */
import { cutEnd, cutMiddle, pad } from '../text-width.js';
import { describeMix, isLadder, rungsOf } from '../../sys/ladder.js';

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n));
  const units = ['k', 'M', 'G', 'T'];
  let value = n;
  let unit = '';
  for (const u of units) {
    if (Math.abs(value) < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${Math.abs(value) < 100 ? value.toFixed(1) : Math.round(value)}${unit}`;
}

/** Tokens per second: one decimal below 10 so a slow trickle does not read as 0. */
export function formatRate(perSecond: number): string {
  if (perSecond <= 0) return '0';
  if (perSecond < 10) return perSecond.toFixed(1);
  return formatCount(perSecond);
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 1) return `$${usd.toFixed(4)}`;
  if (usd < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd)}`;
}

/** Two units at most, like ps: 45s, 3m12s, 2h05m, 3d04h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
  const days = Math.floor(s / 86_400);
  return days >= 100 ? `${days}d` : `${days}d${pad2(Math.floor((s % 86_400) / 3600))}h`;
}

/** How long ago, in its largest unit (fits 7 columns): `45s ago`, `5m ago`, `3h ago`, `12d ago`. */
export function formatAgo(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[i]}`;
}

/** A row's MODEL in brief: its model short, or a ladder's mix of rungs by the turns each ran (`flash-lite×7 pro×1`). */
export function modelOfRow(row: { model: string; model_mix?: Readonly<Record<string, number>> }): string {
  return isLadder(row.model) ? describeMix(rungsOf(row.model), row.model_mix ?? {}, shortModel) : shortModel(row.model);
}

/** `replay:/a/b/tape.yaml` → `tape`; `gemini:gemini-2.5-flash` → `gemini-2.5-flash`; a ladder, its rungs. */
export function shortModel(model: string): string {
  if (isLadder(model)) return describeMix(rungsOf(model), {}, shortModel);
  const colon = model.indexOf(':');
  const provider = colon < 0 ? '' : model.slice(0, colon);
  const name = colon < 0 ? model : model.slice(colon + 1);
  if (provider === 'replay') return (name.split(/[\\/]/).pop() || name).replace(/\.ya?ml$/, '');
  return name || model;
}

/** Cut to `width` terminal columns with an ellipsis (at the end, or in the `middle`), then pad (left or right aligned). */
export function fit(
  text: string,
  width: number,
  align: 'left' | 'right' = 'left',
  where: 'end' | 'middle' = 'end',
): string {
  if (width <= 0) return '';
  if (where === 'end') return pad(cutEnd(text, width), width, align === 'right');
  // A tree's indentation (`  └ `) stays; the name after it is cut in its middle.
  const indent = /^[ └]*/.exec(text)?.[0] ?? '';
  const room = width - indent.length;
  const cut = room >= 3 ? indent + cutMiddle(text.slice(indent.length), room) : cutMiddle(text, width);
  return pad(cut, width, align === 'right');
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
