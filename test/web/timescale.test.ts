/** The waterfall's time line (web/timescale.js): work to scale, long waits drawn short with their real length named. */
import { describe, expect, it } from 'vitest';

interface Turn {
  start: number;
  modelEnd: number | null;
  calls: Map<number, { name: string; start: number; end: number | null }>;
}
interface Scale {
  x(t: number): number;
  breaks: Array<{ at: number; width: number; real: number }>;
  gapAt(t: number): { from: number; to: number } | undefined;
  span: number;
  compressed: boolean;
}
const { timeScale } = (await import(new URL('../../web/timescale.js', import.meta.url).href)) as {
  timeScale(turns: Turn[], start: number, end: number, now?: number): Scale;
};

const turn = (start: number, model: number, calls: Array<[string, number, number]> = []): Turn => ({
  start,
  modelEnd: start + model,
  calls: new Map(calls.map(([name, from, to], i) => [i, { name, start: from, end: to }])),
});

describe('the waterfall time line', () => {
  it('a nine-minute SLEEP between two 2 s turns leaves the model bars most of the width, and says how long it was', () => {
    const t0 = 1_000_000;
    const sleep = 9 * 60_000;
    const turns = [turn(t0, 2_000, [['SLEEP', t0 + 2_000, t0 + 2_000 + sleep]]), turn(t0 + 2_000 + sleep, 2_000)];
    const end = t0 + 4_000 + sleep;
    const s = timeScale(turns, t0, end, end);
    const model = (t: Turn) => s.x(t.modelEnd as number) - s.x(t.start);
    expect(model(turns[0] as Turn) + model(turns[1] as Turn)).toBeGreaterThan(70);
    expect(s.compressed).toBe(true);
    expect(s.breaks).toHaveLength(1);
    expect(s.breaks[0]?.real).toBe(sleep);
    expect(s.span).toBe(4_000 + sleep);
    // Monotonic, from 0 to 100.
    expect(s.x(t0)).toBe(0);
    expect(s.x(end)).toBe(100);
    let last = -1;
    for (let t = t0; t <= end; t += 7_000) {
      expect(s.x(t)).toBeGreaterThanOrEqual(last);
      last = s.x(t);
    }
    expect(s.gapAt(t0 + 60_000)).toBeDefined();
    expect(s.gapAt(t0 + 1_000)).toBeUndefined();
  });

  it('draws short waits to scale: nothing is compressed when every gap is short', () => {
    const turns = [turn(0, 1_000, [['FS_READ', 1_000, 1_100]]), turn(1_300, 900)];
    const s = timeScale(turns, 0, 2_200, 2_200);
    expect(s.compressed).toBe(false);
    expect(s.x(1_100)).toBeCloseTo(50, 5);
  });
});
