import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type Lease, ModelPool } from '../../../kernel/sched/model-pool.js';
import { Scheduler } from '../../../kernel/sched/scheduler.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

/**
 * A scheduler over a pool whose (default) provider is pinned to `limit`; startTurn only records,
 * and a slot is held until the test calls release().
 */
function recording(limit: number): {
  s: Scheduler;
  started: number[];
  release: () => void;
  setLimit: (n: number) => void;
} {
  const started: number[] = [];
  const leases: Lease[] = [];
  const pool = new ModelPool({ limits: { default: { concurrency: limit } } });
  const s = new Scheduler((pid, lease) => {
    started.push(pid);
    leases.push(lease);
  }, pool);
  return { s, started, release: () => s.release(leases.shift()), setLimit: (n) => pool.pin('default', n) };
}

describe('Scheduler', () => {
  it('never starts more than `limit` turns without a release', () => {
    const { s, started, release, setLimit } = recording(2);
    for (let pid = 1; pid <= 5; pid++) s.enqueue(pid, 0);
    expect(started).toEqual([1, 2]);
    expect(s.activeInferences).toBe(2);
    expect(s.queueDepth).toBe(3);
    s.enqueue(6, 20);
    expect(started).toEqual([1, 2]);
    release();
    expect(started).toEqual([1, 2, 6]);
    release();
    release();
    expect(started).toEqual([1, 2, 6, 3, 4]);
    expect(s.activeInferences).toBe(2);
    expect(s.queueDepth).toBe(1);
  });

  it('starts nothing with a limit of 0', () => {
    const { s, started, release, setLimit } = recording(0);
    s.enqueue(1, 0);
    expect(started).toEqual([]);
    expect(s.isQueued(1)).toBe(true);
  });

  it('runs higher priority first', () => {
    const { s, started, release, setLimit } = recording(1);
    s.enqueue(1, 0); // takes the only slot
    s.enqueue(2, 0);
    s.enqueue(3, 5);
    s.enqueue(4, -3);
    s.enqueue(5, 20);
    s.enqueue(6, -20);
    for (let i = 0; i < 5; i++) release();
    expect(started).toEqual([1, 5, 3, 2, 4, 6]);
  });

  it('is FIFO within equal priority', () => {
    const { s, started, release, setLimit } = recording(1);
    s.enqueue(100, 0);
    const order = [7, 3, 9, 1, 42, 5, 8, 2, 6, 4];
    for (const pid of order) s.enqueue(pid, 1);
    for (let i = 0; i < order.length; i++) release();
    expect(started).toEqual([100, ...order]);
  });

  it('round robin: a process that re-enters after its turn goes behind those already waiting', () => {
    const { s, started, release, setLimit } = recording(1);
    s.enqueue(1, 0);
    s.enqueue(2, 0);
    s.enqueue(3, 0);
    // pid 1's turn ends; it is ready again before releasing its slot (as the kernel does).
    s.enqueue(1, 0);
    release();
    release();
    release();
    expect(started).toEqual([1, 2, 3, 1]);
  });

  it('remove: a queued pid never starts', () => {
    const { s, started, release, setLimit } = recording(1);
    s.enqueue(1, 0);
    s.enqueue(2, 5);
    s.enqueue(3, 0);
    expect(s.remove(2)).toBe(true);
    expect(s.isQueued(2)).toBe(false);
    expect(s.queueDepth).toBe(1);
    release();
    expect(started).toEqual([1, 3]);
    release();
    expect(started).toEqual([1, 3]);
    expect(s.activeInferences).toBe(0);
  });

  it('remove of a pid that is not queued (running or unknown) returns false and changes nothing', () => {
    const { s, started, release, setLimit } = recording(1);
    s.enqueue(1, 0);
    s.enqueue(2, 0);
    expect(s.remove(1)).toBe(false);
    expect(s.remove(99)).toBe(false);
    release();
    expect(started).toEqual([1, 2]);
  });

  it('a removed pid enqueued again starts once, at its new place', () => {
    const { s, started, release, setLimit } = recording(1);
    s.enqueue(1, 0);
    s.enqueue(2, 0);
    s.enqueue(3, 0);
    s.remove(2);
    s.enqueue(2, 0);
    for (let i = 0; i < 5; i++) release();
    expect(started).toEqual([1, 3, 2]);
  });

  it('re-enqueueing an already-queued pid is a no-op (keeps its place and priority)', () => {
    const { s, started, release, setLimit } = recording(1);
    s.enqueue(1, 0);
    s.enqueue(2, 0);
    s.enqueue(3, 0);
    s.enqueue(2, 20);
    s.enqueue(2, -20);
    expect(s.queueDepth).toBe(2);
    for (let i = 0; i < 5; i++) release();
    expect(started).toEqual([1, 2, 3]);
  });

  it('pinning a higher limit starts more at once; lowering it starts nothing new', () => {
    const { s, started, release, setLimit } = recording(1);
    for (let pid = 1; pid <= 6; pid++) s.enqueue(pid, 0);
    expect(started).toEqual([1]);
    setLimit(4);
    expect(started).toEqual([1, 2, 3, 4]);
    expect(s.activeInferences).toBe(4);
    setLimit(2);
    release();
    release();
    expect(started).toEqual([1, 2, 3, 4]);
    release();
    expect(started).toEqual([1, 2, 3, 4, 5]);
  });

  it('matches a simple reference model under random enqueue/remove/release/setLimit', () => {
    type Op =
      | { op: 'enqueue'; pid: number; priority: number }
      | { op: 'remove'; pid: number }
      | { op: 'release' }
      | { op: 'setLimit'; limit: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          op: fc.constant('enqueue' as const),
          pid: fc.integer({ min: 1, max: 12 }),
          priority: fc.integer({ min: -2, max: 2 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), pid: fc.integer({ min: 1, max: 12 }) }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const) }) },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant('setLimit' as const), limit: fc.integer({ min: 0, max: 4 }) }),
      },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.array(opArb, { maxLength: 80 }), (initialLimit, ops) => {
        const { s, started, release, setLimit } = recording(initialLimit);
        // Reference: a plain list, scanned for the best (priority desc, then arrival).
        let limit = initialLimit;
        let running = 0;
        let arrival = 0;
        const queue: Array<{ pid: number; priority: number; seq: number }> = [];
        const expected: number[] = [];
        const pump = (): void => {
          while (running < limit && queue.length > 0) {
            let best = 0;
            for (let i = 1; i < queue.length; i++) {
              const a = queue[i];
              const b = queue[best];
              if (a && b && (a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq))) best = i;
            }
            const [entry] = queue.splice(best, 1);
            if (entry) expected.push(entry.pid);
            running++;
          }
        };
        for (const op of ops) {
          if (op.op === 'enqueue') {
            s.enqueue(op.pid, op.priority);
            if (!queue.some((e) => e.pid === op.pid))
              queue.push({ pid: op.pid, priority: op.priority, seq: arrival++ });
            pump();
          } else if (op.op === 'remove') {
            const i = queue.findIndex((e) => e.pid === op.pid);
            expect(s.remove(op.pid)).toBe(i >= 0);
            if (i >= 0) queue.splice(i, 1);
          } else if (op.op === 'release') {
            if (running === 0) continue; // the kernel only releases a slot it holds
            release();
            running--;
            pump();
          } else {
            setLimit(op.limit);
            limit = op.limit;
            pump();
          }
          expect(started).toEqual(expected);
          expect(s.activeInferences).toBe(running);
          expect(s.queueDepth).toBe(queue.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('Scheduler in the kernel', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a slow inference holds one slot, never the queue: fast processes all finish before its first turn ends', async () => {
    const fastNames = ['fast1', 'fast2', 'fast3', 'fast4'];
    const fastTape = (name: string) => [
      call('FS_WRITE', { path: `${name}.txt`, content: name }),
      call('FS_LIST'),
      call('FS_READ', { path: `${name}.txt` }),
      EXIT,
    ];
    h = await startHarness(
      {
        // Its first turn is the margin the fast ones finish within: 400 ms failed on a loaded
        // machine (16 fast turns took longer), 2 s is that work many times over.
        slow: [{ delay_ms: 2_000, reply: call('FS_LIST') }, { reply: EXIT }],
        ...Object.fromEntries(fastNames.map((name) => [name, fastTape(name)])),
      },
      { modelLimits: { replay: { concurrency: 2 } } },
    );
    const slow = await h.spawn({ name: 'slow' });
    const fast = await Promise.all(
      fastNames.map((name) => h?.spawn({ name }) ?? Promise.reject(new Error('no harness'))),
    );
    const ended = await Promise.all([slow, ...fast].map((p) => h?.kernel.waitExit(p.pid)));
    expect(ended.map((p) => p?.exitCode)).toEqual([0, 0, 0, 0, 0]);
    expect(h.kernel.scheduler.activeInferences).toBe(0);

    const events = h.events;
    const slowFirstModel = events.findIndex((e) => e.pid === slow.pid && e.type === 'model');
    expect(slowFirstModel).toBeGreaterThan(-1);
    for (const p of fast) {
      const exited = events.findIndex((e) => e.pid === p.pid && e.type === 'state' && e.to === 'exited');
      expect(exited, `${p.name} exited before the slow turn ended`).toBeGreaterThan(-1);
      expect(exited, `${p.name} exited before the slow turn ended`).toBeLessThan(slowFirstModel);
      // Every fast turn ran (4 each), all while the slow one was still inferring.
      expect(h.eventsOf(p.pid, 'model')).toHaveLength(4);
    }
    // The slow process started first and was running the whole time.
    const slowRunning = events.findIndex((e) => e.pid === slow.pid && e.type === 'state' && e.to === 'running');
    expect(slowRunning).toBeLessThan(
      events.findIndex((e) => e.pid === fast[0]?.pid && e.type === 'state' && e.to === 'running'),
    );
  });

  it('never has more inferences in flight than the limit', async () => {
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    h = await startHarness(
      Object.fromEntries(
        names.map((name) => [
          name,
          [
            { delay_ms: 20, reply: call('FS_LIST') },
            { delay_ms: 20, reply: EXIT },
          ],
        ]),
      ),
      { modelLimits: { replay: { concurrency: 2 } } },
    );
    let inFlight = 0;
    let peak = 0;
    h.kernel.events.subscribe((e) => {
      if (e.type === 'prompt') peak = Math.max(peak, ++inFlight);
      if (e.type === 'model') inFlight--;
    });
    const pcbs = await Promise.all(names.map((name) => h?.spawn({ name }) ?? Promise.reject(new Error('no harness'))));
    await Promise.all(pcbs.map((p) => h?.kernel.waitExit(p.pid)));
    expect(peak).toBe(2);
  });
});
