/**
 * Turns per turn of the event loop. With an instant model a turn is pure CPU, and hundreds may be
 * ready at once: run in one macrotask they would hold every socket reply and the store's commit
 * for as long as they all take. At most param.turnsPerTick turns start per macrotask; the others
 * wait for the next one, and the loop reads sockets and commits in between.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { param } from './param.js';

let left = param.turnsPerTick;
let refillScheduled = false;

/** Scheduled by the first turn of a macrotask, so it runs before the turns that had to wait. */
function refillNextMacrotask(): void {
  if (refillScheduled) return;
  refillScheduled = true;
  setImmediate(() => {
    left = param.turnsPerTick;
    refillScheduled = false;
  });
}

/** Resolves in a later macrotask once this turn may run. */
export async function turnSlot(): Promise<void> {
  for (;;) {
    await nextMacrotask();
    refillNextMacrotask();
    if (left > 0) {
      left--;
      return;
    }
  }
}
