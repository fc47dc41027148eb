/**
 * A process's taint as a person reads it (issue 49): where the outside content in its context came
 * from, one line per source — kind, detail, a few words of it — every hidden character escaped
 * (show-text.ts), so an excerpt written to look like a kernel line cannot pass for one. `aos
 * approvals` shows it under a request; `aos inspect` under a process.
 */
import { shownText } from './show-text.js';

/** What travels of a taint (sys/taint.ts TaintView), checked loosely: an older kernel may send less. */
export interface TaintShown {
  tainted: boolean;
  count: number;
  sources: Array<{ source: string; detail: string; excerpt: string; at?: string; turn?: number }>;
  sticky?: boolean;
  ended?: { at: string; count: number } | null;
}

export function isTaintShown(value: unknown): value is TaintShown {
  const v = value as TaintShown | null;
  return v !== null && typeof v === 'object' && typeof v.tainted === 'boolean' && Array.isArray(v.sources);
}

/** The lines under a request or a process, each starting with `indent`; none for a clean process. */
export function taintLines(value: unknown, indent: string, width = 160): string[] {
  if (!isTaintShown(value)) return [];
  if (!value.tainted)
    return value.ended ? [`${indent}taint ended ${value.ended.at} (had ${value.ended.count} sources)`] : [];
  const more = value.count - value.sources.length;
  const lines = [
    `${indent}tainted by ${value.count} outside source${value.count === 1 ? '' : 's'}${value.sticky ? ' (in its task: for its life)' : ''}:`,
  ];
  for (const s of value.sources)
    lines.push(
      `${indent}  ${shownText(s.source, 10)} ${shownText(s.detail, 80)}${s.excerpt ? `  «${shownText(s.excerpt, Math.max(20, width - 100))}»` : ''}`,
    );
  if (more > 0) lines.push(`${indent}  … and ${more} more`);
  return lines;
}
