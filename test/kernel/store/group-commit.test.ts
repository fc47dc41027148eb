import { afterEach, describe, expect, it, vi } from 'vitest';
import { turnSlot, turnsWaiting } from '../../../kernel/loop/turn-gate.js';
import { param } from '../../../kernel/param.js';
import { Store } from '../../../kernel/store/store.js';
import type { KernelEvent } from '../../../kernel/wire/events.js';

let store: Store | null = null;
afterEach(() => {
  vi.useRealTimers();
  store?.close();
  store = null;
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** A store in memory whose commits are listed (the pids of each batch's events); the commit delay's timer is faked and never fires unless advanced. */
function openWatched(): { s: Store; batches: number[][] } {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const s = Store.open(':memory:');
  store = s;
  const batches: number[][] = [];
  s.onCommitted((events) => batches.push(events.map((e) => e.event.pid)));
  return { s, batches };
}

const event = (pid: number): KernelEvent => ({ ts: new Date().toISOString(), pid, type: 'state', from: 'ready', to: 'running' });

describe('group commit', () => {
  it('gathers writes nobody waits for over the commit delay and commits them once', async () => {
    const { s, batches } = openWatched();
    // Replies that land in successive turns of the event loop, as 100 agents' do.
    for (let pid = 1; pid <= 5; pid++) {
      s.addEvent(event(pid));
      await tick();
    }
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(param.storeCommitDelayMs);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('commits at once when someone waits, without waiting out the delay', async () => {
    const { s, batches } = openWatched();
    s.addEvent(event(1));
    await tick();
    s.addEvent(event(2));
    // The delay timer is never advanced: only the wait can have committed this.
    await s.committed();
    expect(batches).toEqual([[1, 2]]);
    expect(s.recentEvents(10).map((e) => e.pid)).toEqual([1, 2]);
    // Nothing is left for the delay timer to commit twice.
    await vi.advanceTimersByTimeAsync(param.storeCommitDelayMs);
    expect(batches).toEqual([[1, 2]]);
  });
});

describe('group commit under instant turns', () => {
  it('commits every turn of the loop while turns queue behind the turn gate, not after the delay', async () => {
    const { s, batches } = openWatched();
    // Saturate the gate: a slice spent, the next turn queues for a later macrotask.
    expect(turnSlot()).toBeUndefined();
    const started = performance.now();
    while (performance.now() - started <= param.turnSliceMs) {
      // busy, as instant turns are
    }
    const queued = turnSlot();
    expect(queued).toBeInstanceOf(Promise);
    expect(turnsWaiting()).toBe(true);
    s.addEvent(event(1));
    await queued;
    await tick();
    // The delay timer is never advanced: only a commit in the next turn of the loop can have done this.
    expect(batches).toEqual([[1]]);
  });
});
