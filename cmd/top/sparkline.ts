/** Sparklines: a series as one line of block glyphs (▁ lowest … █ highest), pure. */

export const SPARK_GLYPHS = '▁▂▃▄▅▆▇█';
/** Narrower than this, a sparkline says too little to be worth its columns: it is dropped. */
export const SPARK_MIN = 6;

/**
 * The last `width` values, scaled from 0 (or the lowest value, if negative) to the highest.
 * Any value above the floor shows at least ▂, so a trickle is not mistaken for nothing.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const shown = values.slice(-Math.floor(width)).map((v) => (Number.isFinite(v) ? v : 0));
  if (shown.length === 0) return '';
  const lo = Math.min(0, ...shown);
  const span = Math.max(...shown) - lo;
  const top = SPARK_GLYPHS.length - 1;
  return shown
    .map((v) => {
      if (span <= 0 || v <= lo) return SPARK_GLYPHS[0];
      return SPARK_GLYPHS[Math.max(1, Math.round(((v - lo) / span) * top))];
    })
    .join('');
}

/** Per-step increments of a cumulative series; the first counts as 0 (nothing seen spent yet). */
export function steps(cumulative: readonly number[]): number[] {
  const out: number[] = cumulative.length > 0 ? [0] : [];
  for (let i = 1; i < cumulative.length; i++) out.push(Math.max(0, (cumulative[i] ?? 0) - (cumulative[i - 1] ?? 0)));
  return out;
}

/** Columns each of `count` sparklines gets out of `spare`, at most `max`; 0 drops them (too narrow to say much). */
export function sparkWidth(spare: number, count: number, max: number): number {
  const each = Math.min(max, Math.floor(spare / count));
  return each >= SPARK_MIN ? each : 0;
}
