/**
 * The cluster feed's memory of what it pushed (daemon/seen-per-process.ts): a tree adopted from a
 * dead node, read again from its adopter's store, pushes only what was not pushed from the dead one.
 */
import { describe, expect, it } from 'vitest';
import { SeenPerProcess } from '../../daemon/seen-per-process.js';

const spawn = (pid: number): string => JSON.stringify({ type: 'state', pid, from: null, to: 'ready' });
const out = (pid: number, n: number): string => JSON.stringify({ type: 'output', pid, text: `line ${n}` });

/** A node's store: per id, the row; `ordinal` as RemoteNodes.eventOrdinal counts it. */
function store(rows: Array<{ id: number; pid: number; json: string }>): (pid: number, id: number) => Promise<number> {
  return async (pid, id) => rows.filter((r) => r.pid === pid && r.id < id).length;
}

async function feed(
  seen: SeenPerProcess,
  node: string,
  rows: Array<{ id: number; pid: number; json: string }>,
  all = rows,
): Promise<string[]> {
  const pushed: string[] = [];
  for (const row of rows) if (await seen.fresh(node, row, store(all))) pushed.push(row.json);
  return pushed;
}

describe('the cluster feed, per process', () => {
  it('pushes a moved tree only from where its pushed history ends, in order', async () => {
    const seen = new SeenPerProcess();
    const onA = [spawn(5), out(5, 1), out(5, 2)].map((json, i) => ({ id: 10 + i, pid: 5, json }));
    expect(await feed(seen, 'a', onA)).toHaveLength(3);
    // a dies; b holds the tree now: the three events pushed, one a committed that the feed never read, and one b wrote.
    const onB = [spawn(5), out(5, 1), out(5, 2), out(5, 3), out(5, 4)].map((json, i) => ({
      id: 200 + i,
      pid: 5,
      json,
    }));
    expect(await feed(seen, 'b', onB)).toEqual([out(5, 3), out(5, 4)]);
    // b's next rows of it are pushed as they come.
    expect(
      await feed(seen, 'b', [{ id: 300, pid: 5, json: out(5, 5) }], [...onB, { id: 300, pid: 5, json: out(5, 5) }]),
    ).toEqual([out(5, 5)]);
  });

  it('knows where a process already running when the feed began stands in its history', async () => {
    const seen = new SeenPerProcess();
    const history = [spawn(7), out(7, 1), out(7, 2), out(7, 3)].map((json, i) => ({ id: 10 + i, pid: 7, json }));
    // The feed began after its first two events: it pushes the last two.
    expect(await feed(seen, 'a', history.slice(2), history)).toEqual([out(7, 2), out(7, 3)]);
    // Moved to c: the first two were never pushed, yet they are history before the feed's start, not news; the rest were pushed.
    const onC = history.map((r, i) => ({ ...r, id: 50 + i }));
    const more = { id: 60, pid: 7, json: out(7, 4) };
    expect(await feed(seen, 'c', [...onC, more], [...onC, more])).toEqual([out(7, 4)]);
  });

  it('pushes a process first met on a store after it moved there, and keeps other processes apart', async () => {
    const seen = new SeenPerProcess();
    const rows = [
      { id: 1, pid: 8, json: out(8, 9) },
      { id: 2, pid: 9, json: spawn(9) },
      { id: 3, pid: 9, json: out(9, 1) },
    ];
    const all = [...Array.from({ length: 9 }, (_, i) => ({ id: -20 + i, pid: 8, json: out(8, i) })), ...rows];
    expect(await feed(seen, 'b', rows, all)).toEqual(rows.map((r) => r.json));
  });
});
