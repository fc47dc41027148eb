import { afterEach, describe, expect, it, vi } from 'vitest';
import { turnSlot, turnsWaiting, turnsWaitingForMs } from '../../../sys/turn-gate.js';
import { param } from '../../../sys/param.js';
import { Store } from '../../../kernel/store/store.js';
import type { KernelEvent } from '../../../protocol/events.js';

let store: Store | null = null;
afterEach(() => {
  vi.useRealTimers();
  store?.close();
  store = null;
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** A store in memory whose commits are listed (the pids of each batch's events); the commit delay's timers are faked and never move unless advanced, and so is the clock (vitest's fake performance, or handClock()). */
function openWatched(clock: 'clock by hand' | 'fake clock' = 'fake clock'): { s: Store; batches: number[][] } {
  vi.useFakeTimers({
    toFake: clock === 'fake clock' ? ['setTimeout', 'clearTimeout', 'performance'] : ['setTimeout', 'clearTimeout'],
  });
  const s = Store.open(':memory:');
  store = s;
  const batches: number[][] = [];
  s.onCommitted((events) => batches.push(events.map((e) => e.event.pid)));
  return { s, batches };
}

const event = (pid: number): KernelEvent => ({
  ts: new Date().toISOString(),
  pid,
  type: 'state',
  from: 'ready',
  to: 'running',
});

describe('group commit', () => {
  it('gathers writes nobody waits for until they are quiet and commits them once', async () => {
    const { s, batches } = openWatched();
    // Replies that land in successive turns of the event loop, as 100 agents' do.
    for (let pid = 1; pid <= 5; pid++) {
      s.events.add(event(pid));
      await tick();
    }
    expect(batches).toEqual([]);
    // The first quiet window saw the later writes; the second is quiet.
    await vi.advanceTimersByTimeAsync(2 * param.storeCommitQuietMs);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('waits while writes keep coming a little apart (a round of replies in several timer batches), then commits them together', async () => {
    const { s, batches } = openWatched();
    const gap = Math.max(1, param.storeCommitQuietMs - 2);
    const pids: number[] = [];
    // Half the commit delay of writes, each within a quiet window of the one before.
    for (let pid = 1; pid * gap <= param.storeCommitDelayMs / 2; pid++) {
      s.events.add(event(pid));
      pids.push(pid);
      await vi.advanceTimersByTimeAsync(gap);
    }
    expect(pids.length).toBeGreaterThan(2);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * param.storeCommitQuietMs);
    expect(batches).toEqual([pids]);
  });

  it('commits after the commit delay at the latest, however busy the writes', async () => {
    const { s, batches } = openWatched();
    let pid = 0;
    let elapsed = 0;
    while (batches.length === 0 && elapsed < 10 * param.storeCommitDelayMs) {
      s.events.add(event(++pid));
      await vi.advanceTimersByTimeAsync(1);
      elapsed++;
    }
    expect(batches.length).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(param.storeCommitDelayMs - param.storeCommitQuietMs);
    expect(elapsed).toBeLessThanOrEqual(param.storeCommitDelayMs + param.storeCommitQuietMs);
  });

  it('commits a batch that reaches storeCommitMaxWrites at once, without waiting for quiet', async () => {
    const { s, batches } = openWatched();
    for (let pid = 1; pid < param.storeCommitMaxWrites; pid++) s.events.add(event(pid));
    await tick();
    expect(batches).toEqual([]);
    s.events.add(event(param.storeCommitMaxWrites));
    // The quiet timer is never advanced: only the size of the batch can have committed it.
    await tick();
    expect(batches.map((b) => b.length)).toEqual([param.storeCommitMaxWrites]);
  });

  it('commits at once when someone waits, without waiting out the delay', async () => {
    const { s, batches } = openWatched();
    s.events.add(event(1));
    await tick();
    s.events.add(event(2));
    // The delay timer is never advanced: only the wait can have committed this.
    await s.committed();
    expect(batches).toEqual([[1, 2]]);
    expect((await s.events.recent(10)).map((e) => e.pid)).toEqual([1, 2]);
    // Nothing is left for the delay timer to commit twice.
    await vi.advanceTimersByTimeAsync(param.storeCommitDelayMs);
    expect(batches).toEqual([[1, 2]]);
  });
});

/**
 * The clock the turn gate and the commit read (performance.now), moved by hand: busy(ms) is a turn
 * that spent `ms`, and nothing else passes, however slow or preempted the machine running the test.
 * Timers are not touched (the commit delay's are faked and never advanced).
 */
let busy: (ms: number) => void = () => {
  throw new Error('handClock() first');
};
function handClock(): void {
  // Later than anything the turn gate saw under the real clock in an earlier test.
  let now = performance.now() + 60_000;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  busy = (ms) => {
    now += ms + 0.001;
  };
}
afterEach(() => {
  vi.restoreAllMocks();
});

describe('group commit under instant turns', () => {
  it('commits every turn of the loop once turns have queued behind the turn gate for a quiet window, not after the delay', async () => {
    const { s, batches } = openWatched('clock by hand');
    handClock();
    // Slice after slice spent, the next turn queued each time: saturated, as 1,000 instant agents are.
    let queued: Promise<void> | undefined;
    for (;;) {
      expect(turnSlot()).toBeUndefined();
      busy(param.turnSliceMs);
      queued = turnSlot();
      expect(queued).toBeInstanceOf(Promise);
      if (turnsWaitingForMs() >= param.storeCommitQuietMs) break;
      await queued;
    }
    expect(turnsWaiting()).toBe(true);
    s.events.add(event(1));
    await queued;
    await tick();
    // The delay timer is never advanced: only a commit in the next turn of the loop can have done this.
    expect(batches).toEqual([[1]]);
  });

  it('keeps gathering when one round of replies overflows a slice for a moment', async () => {
    const { s, batches } = openWatched('clock by hand');
    handClock();
    // Whatever queued before is long over.
    busy(3 * param.turnSliceMs);
    await tick();
    expect(turnSlot()).toBeUndefined();
    busy(param.turnSliceMs);
    const queued = turnSlot();
    expect(turnsWaiting()).toBe(true);
    s.events.add(event(1));
    await queued;
    await tick();
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * param.storeCommitQuietMs);
    expect(batches).toEqual([[1]]);
  });
});

describe('commits someone waits for', () => {
  it('come in the next turn of the loop after a quiet spell, then at most every pace window, each with every waiter of its window', async () => {
    const { s, batches } = openWatched();
    const done: number[] = [];
    const waitFor = (pid: number): void => {
      s.events.add(event(pid));
      void s.committed().then(() => done.push(pid));
    };
    waitFor(1);
    await tick();
    await tick();
    expect(batches).toEqual([[1]]);
    // Right after that commit: the next waiters share one, a pace window after it.
    waitFor(2);
    await tick();
    waitFor(3);
    await tick();
    expect(batches).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(param.storeCommitPaceMs);
    expect(batches).toEqual([[1], [2, 3]]);
    expect(done).toEqual([1, 2, 3]);
    // A quiet spell: at once again.
    await vi.advanceTimersByTimeAsync(param.storeCommitPaceMs);
    waitFor(4);
    await tick();
    await tick();
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });
});

describe('events serialised at the commit', () => {
  it('stores an event that cannot be serialised as an error event in its place, and says so once', async () => {
    const { s, batches } = openWatched();
    const unstorable: KernelEvent[] = [];
    s.hooks = { ...s.hooks, onUnstorableEvent: (e) => unstorable.push(e) };
    const bad = {
      ts: new Date().toISOString(),
      pid: 7,
      type: 'message',
      from_pid: 7,
      to_pid: 0,
      channel: 'stdout',
      content: 10n,
    } as unknown as KernelEvent;
    s.events.add(event(6));
    s.events.add(bad);
    s.events.add(event(8));
    await s.committed();
    expect(batches).toEqual([[6, 7, 8]]);
    expect(unstorable).toEqual([bad]);
    const stored = await s.events.recent(10);
    expect(stored.map((e) => e.type)).toEqual(['state', 'error', 'state']);
    expect(stored[1]).toMatchObject({
      pid: 7,
      type: 'error',
      message: 'kernel error: a message event of process 7 could not be stored',
    });
  });
});
