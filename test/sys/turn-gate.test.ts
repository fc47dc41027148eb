import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { param } from '../../sys/param.js';
import { turnSlot } from '../../sys/turn-gate.js';

// The gate reads performance.now(); the tests move that clock themselves, so a loaded machine
// (a GC pause, a stolen CPU between two calls) cannot spend a slice behind the test's back.
let clock = 1_000_000;
beforeEach(() => {
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The current macrotask spends `ms` on turns. */
function busy(ms: number): void {
  clock += ms;
}

describe('the turn gate', () => {
  it('starts a turn at once while the macrotask has spent less than param.turnSliceMs on turns', async () => {
    await nextMacrotask();
    expect(turnSlot()).toBeUndefined();
    expect(turnSlot()).toBeUndefined();
    busy(param.turnSliceMs + 1);
    const late = turnSlot();
    expect(late).toBeInstanceOf(Promise);
    await late;
  });

  it('then queues the rest and starts param.turnsPerTick of them per later macrotask, in order', async () => {
    await nextMacrotask();
    expect(turnSlot()).toBeUndefined();
    busy(param.turnSliceMs + 1);
    const k = param.turnsPerTick;
    const started: number[] = [];
    const all = Array.from({ length: 3 * k }, (_, i) => {
      const slot = turnSlot();
      if (!slot) throw new Error(`turn ${i} started although the slice was spent`);
      return slot.then(() => started.push(i));
    });
    // Each of these runs after the gate's own immediates of the same macrotask.
    await nextMacrotask();
    expect(started).toHaveLength(k);
    await nextMacrotask();
    expect(started).toHaveLength(2 * k);
    await nextMacrotask();
    expect(started).toHaveLength(3 * k);
    await Promise.all(all);
    expect(started).toEqual(Array.from({ length: 3 * k }, (_, i) => i));
  });

  it('starts a turn that comes in a later macrotask at once, after the slice that granted queued turns started nothing more', async () => {
    await nextMacrotask();
    expect(turnSlot()).toBeUndefined();
    busy(param.turnSliceMs + 1);
    const queued = turnSlot();
    expect(queued).toBeInstanceOf(Promise);
    // Granted by the gate; the turn starts nothing more, as a slow model's turn does not.
    await queued;
    // Much later, in a macrotask of its own (a reply landing): a fresh slice. The slice ends at the
    // gate's next boundary (an immediate); a timer due before it (a late loop: here forced by the
    // second busy wait, on a loaded machine by the load) still sees it, so the turn comes after both.
    busy(param.turnSliceMs + 1);
    const later = new Promise((resolve) => setTimeout(resolve, 1));
    // Real time, so that the timer is due before the gate's immediate.
    for (const until = Date.now() + 3; Date.now() < until;);
    await later;
    await nextMacrotask();
    expect(turnSlot()).toBeUndefined();
  });
});
