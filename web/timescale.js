// @ts-check
// The waterfall's time line: work (model time, syscalls that are not waits) drawn to scale, and every
// stretch of waiting or idling longer than `limit` drawn `limit` wide with a break that names its real
// length — so one nine-minute SLEEP leaves the model bars of every turn their room.
/** What the scale reads of a turn. @typedef {Pick<import('./turns.js').Turn, 'start' | 'modelEnd' | 'calls'>} TimedTurn */
/** A stretch of idling, in ms since the epoch. @typedef {{ from: number, to: number }} Gap */

/** Calls that block the process: their time is waiting, not work. */
export const BLOCKING = new Set(['WAIT', 'RECV_MSG', 'SLEEP', 'SYS_READ_STDIN', 'WEBHOOK_WAIT']);

/**
 * The busy intervals of the turns, merged: what is drawn to scale.
 * @param {readonly TimedTurn[]} turns
 * @param {number} now
 */
function busy(turns, now) {
  /** @type {Array<[number, number]>} */
  const spans = [];
  for (const t of turns) {
    spans.push([t.start, t.modelEnd ?? now]);
    for (const c of t.calls.values()) if (!BLOCKING.has(c.name)) spans.push([c.start, c.end ?? now]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  /** @type {Array<[number, number]>} */
  const merged = [];
  for (const [from, to] of spans) {
    const last = merged.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/**
 * A scale over [start, end]: `x(t)` in percent, the stretches shown shorter (`breaks`: where they
 * start on the line, and their real length), and the span shown.
 * @param {readonly TimedTurn[]} turns
 * @param {number} start
 * @param {number} end
 * @param {number} [now]
 */
export function timeScale(turns, start, end, now = Date.now()) {
  const work = busy(turns, now);
  const worked = work.reduce((sum, [a, b]) => sum + (b - a), 0);
  const limit = Math.max(1000, worked * 0.1);
  // Idle stretches between the busy ones, and before the end.
  /** @type {Gap[]} */
  const gaps = [];
  let at = start;
  for (const [a, b] of work) {
    if (a - at > limit) gaps.push({ from: at, to: a });
    at = Math.max(at, b);
  }
  if (end - at > limit) gaps.push({ from: at, to: end });
  /** @param {number} t */
  const shown = (t) => {
    let cut = 0;
    for (const g of gaps) {
      if (t <= g.from) break;
      const inside = Math.min(t, g.to) - g.from;
      cut += inside - (inside / (g.to - g.from)) * limit;
    }
    return t - start - cut;
  };
  const total = Math.max(1, shown(end));
  /** @param {number} t */
  const x = (t) => (shown(Math.min(Math.max(t, start), end)) / total) * 100;
  const breaks = gaps.map((g) => ({ at: x(g.from), width: x(g.to) - x(g.from), real: g.to - g.from }));
  /** The stretch drawn shorter that `t` falls inside, or undefined. @param {number} t */
  const gapAt = (t) => gaps.find((g) => t > g.from && t < g.to);
  return { x, breaks, gapAt, span: end - start, shownSpan: total, compressed: gaps.length > 0 };
}
