/** Cost and tokens over time, for the chart: model replies summed into at most MAX_POINTS time buckets, cumulative. */
import { costOf } from '../../drivers/llm/prices.js';
import type { UsageRow } from '../../kernel/api.js';

const MAX_POINTS = 400;

export interface UsageSeries {
  /** Bucket ends, in unix seconds. */
  t: number[];
  tokens: number[];
  cost: number[];
}

export function usageSeries(rows: readonly UsageRow[], pid: number | null = null): UsageSeries {
  const mine = pid === null ? rows : rows.filter((r) => r.pid === pid);
  if (mine.length === 0) return { t: [], tokens: [], cost: [] };
  const times = mine.map((r) => Date.parse(r.ts) / 1000);
  const first = times[0] as number;
  const step = Math.max(1, Math.ceil(((times.at(-1) as number) - first) / MAX_POINTS));
  // The line starts from zero a step before the first reply (one reply is a line, not a dot).
  const series: UsageSeries = { t: [first - step], tokens: [0], cost: [0] };
  let tokens = 0;
  let cost = 0;
  mine.forEach((row, i) => {
    tokens += row.prompt + row.output;
    cost += costOf(row.model, { prompt: row.prompt, output: row.output, cached: row.cached });
    const end = first + Math.ceil(((times[i] as number) - first) / step) * step;
    if (series.t.at(-1) === end) {
      series.tokens[series.tokens.length - 1] = tokens;
      series.cost[series.cost.length - 1] = cost;
    } else {
      series.t.push(end);
      series.tokens.push(tokens);
      series.cost.push(cost);
    }
  });
  return series;
}
