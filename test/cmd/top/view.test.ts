import { describe, expect, it } from 'vitest';
import { initialView, resolveIndex, viewReducer } from '../../../cmd/top/view.js';
import { SORT_KEYS } from '../../../cmd/top/rows.js';
import { scrollTop } from '../../../cmd/top/process-table.js';
import { splitHeights } from '../../../cmd/top/app.js';

describe('view state', () => {
  it('moves the selection within bounds and follows the pid, not the position', () => {
    let v = viewReducer(initialView(), { type: 'move', pids: [1, 2, 3], delta: 1 });
    expect(v.pid).toBe(2);
    v = viewReducer(v, { type: 'move', pids: [1, 2, 3], delta: 10 });
    expect(v.pid).toBe(3);
    expect(resolveIndex(v, [3, 1, 2])).toBe(0);
    // The selected process went away: stay at the same place in the list.
    expect(resolveIndex(v, [1, 2])).toBe(1);
  });

  it('cycles through every sort key and back', () => {
    let v = initialView();
    const seen = [v.sort];
    for (let i = 0; i < SORT_KEYS.length; i++) {
      v = viewReducer(v, { type: 'sort' });
      seen.push(v.sort);
    }
    expect(seen).toEqual([...SORT_KEYS, 'pid']);
  });
});

describe('layout arithmetic', () => {
  it('scrolls only as far as needed to keep the selection visible', () => {
    expect(scrollTop(0, 5, 10, 30)).toBe(0);
    expect(scrollTop(0, 12, 10, 30)).toBe(3);
    expect(scrollTop(3, 2, 10, 30)).toBe(2);
    expect(scrollTop(25, 29, 10, 12)).toBe(2);
  });

  it('gives the table what it needs and the log the rest', () => {
    expect(splitHeights(19, 2, 'table')).toEqual({ table: 3, log: 16 });
    expect(splitHeights(19, 40, 'table')).toEqual({ table: 13, log: 6 });
    expect(splitHeights(19, 40, 'logs')).toEqual({ table: 0, log: 19 });
  });
});

describe('sync', () => {
  it('does not undo a move made after the frame that scheduled it (a key pressed as the first rows appear)', () => {
    const pids = [1, 2, 3];
    const moved = viewReducer(initialView(), { type: 'move', pids, delta: 1 });
    expect(moved).toMatchObject({ pid: 2, index: 1 });
    // The effect of the first frame, which showed pid 1 selected, runs only now.
    expect(viewReducer(moved, { type: 'sync', pids, pid: 1, index: 0 })).toMatchObject({ pid: 2, index: 1 });
  });

  it('adopts the shown row when the selection is unset or its row has gone', () => {
    expect(viewReducer(initialView(), { type: 'sync', pids: [4, 5], pid: 4, index: 0 })).toMatchObject({
      pid: 4,
      index: 0,
    });
    const gone = { ...initialView(), pid: 9, index: 1 };
    expect(viewReducer(gone, { type: 'sync', pids: [4, 5], pid: 5, index: 1 })).toMatchObject({ pid: 5, index: 1 });
  });
});
