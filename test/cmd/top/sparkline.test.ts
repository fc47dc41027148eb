import { describe, expect, it } from 'vitest';
import { SPARK_GLYPHS, SPARK_MIN, sparkline, sparkWidth, steps } from '../../../cmd/top/sparkline.js';

describe('sparkline', () => {
  it('scales from 0 to the highest value over the eight glyphs', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([0, 50, 100], 3)).toBe('▁▅█');
  });

  it('keeps only the last `width` values', () => {
    expect(sparkline([9, 9, 9, 0, 7], 2)).toBe('▁█');
    expect(sparkline([1, 2, 3], 10)).toHaveLength(3);
  });

  it('shows a trickle as more than nothing, and a flat or empty series as the floor', () => {
    expect(sparkline([1000, 1], 2)).toBe('█▂');
    expect(sparkline([0, 0, 0], 3)).toBe('▁▁▁');
    expect(sparkline([5, 5], 2)).toBe('██');
    expect(sparkline([], 5)).toBe('');
    expect(sparkline([1, 2], 0)).toBe('');
  });

  it('treats values that are not numbers as 0 and scales negative ones from the lowest', () => {
    expect(sparkline([Number.NaN, Number.POSITIVE_INFINITY, 4], 3)).toBe('▁▁█');
    expect(sparkline([-2, 0, 2], 3)).toBe('▁▅█');
  });

  it('draws only the eight block glyphs', () => {
    const line = sparkline(
      Array.from({ length: 50 }, (_, i) => Math.sin(i) * 10 + 10),
      40,
    );
    expect([...line].every((g) => SPARK_GLYPHS.includes(g))).toBe(true);
    expect([...line]).toHaveLength(40);
  });
});

describe('steps', () => {
  it('turns a cumulative series into per-step increments, never negative', () => {
    expect(steps([1, 1, 3, 2, 5])).toEqual([0, 0, 2, 0, 3]);
    expect(steps([4])).toEqual([0]);
    expect(steps([])).toEqual([]);
  });
});

describe('sparkWidth', () => {
  it('shares the spare columns, capped, and gives 0 when a sparkline would be too narrow', () => {
    expect(sparkWidth(100, 2, 30)).toBe(30);
    expect(sparkWidth(20, 2, 30)).toBe(10);
    expect(sparkWidth(2 * SPARK_MIN - 1, 2, 30)).toBe(0);
    expect(sparkWidth(2 * SPARK_MIN, 2, 30)).toBe(SPARK_MIN);
  });
});
